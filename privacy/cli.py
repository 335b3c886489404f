"""Privacy commands for operators:

    python -m privacy.cli purge [--dry-run]     apply the retention rules now
    python -m privacy.cli erase <sender_id>     erase one conversation and its requests
    python -m privacy.cli count                 how many conversations are stored
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from privacy.config import PrivacyConfigError
from privacy.erase import erase_everything
from privacy.retention import purge
from privacy.trackers import StoreUnavailable, TrackerStoreAdmin


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m privacy.cli",
                                     description="Conservation et effacement des données personnelles.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="commande")
    p_purge = sub.add_parser("purge", help="supprimer ce qui a dépassé la durée de conservation")
    p_purge.add_argument("--dry-run", action="store_true", help="compter sans rien supprimer")
    p_erase = sub.add_parser("erase", help="effacer une conversation et ses demandes de rendez-vous")
    p_erase.add_argument("sender_id", help="identifiant de la conversation (sender id de Rasa)")
    sub.add_parser("count", help="nombre de conversations conservées")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "purge":
            report = purge(dry_run=args.dry_run)
            if report.dry_run:
                print("Simulation : rien n'a été supprimé.")
            print("\n".join(report.lines_fr()))
        elif args.command == "erase":
            sender = args.sender_id.strip()
            if not sender:
                print("Indiquez l'identifiant de la conversation.", file=sys.stderr)
                return 2
            report = erase_everything(sender)
            if report.anything:
                print(f"Effacé : {report.summary_fr()} "
                      f"({report.tracker_events_removed} événements de conversation).")
            else:
                print("Rien n'était conservé pour cette conversation.")
        else:
            with TrackerStoreAdmin.from_config() as admin:
                print(f"Conversations conservées : {admin.count_senders()}.")
    except (StoreUnavailable, PrivacyConfigError, ValueError) as exc:
        print(f"Échec : {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"Échec : la base des rendez-vous est injoignable ({type(exc).__name__}).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
