"""Guide mode: the assistant as a conversation guide for volunteers (web pages at /guide), and
the resident's printable one-page summary (/guide/resume, /resume/{token})."""
