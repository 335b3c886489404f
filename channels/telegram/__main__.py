"""`python -m channels.telegram`: run the Telegram process."""

from channels.telegram.app import main

raise SystemExit(main())
