"""Privacy: erasure on request, retention purges, redaction of logs, and a scanner for leaks.

Plain Python (SQLAlchemy, redis-py, stdlib). Rasa's tracker store is reached directly through its
database or Redis, never through Rasa itself, so this package runs in the project virtualenv."""
