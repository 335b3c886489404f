"""Follow-up of residents after a booking or a simulation: "Avez-vous pu faire la demande ?"
about 6 and 30 days later, on the channel they used, with their consent (domain package)."""
