"""Anonymous evaluation statistics: weekly counters the bot increments, and the report staff read.

Nothing here identifies a person: counters hold a week, a territory, a commune, a channel, a mode,
a metric name and a number. See stats/models.py for what is stored and stats/report.py for how
small counts are protected.
"""
