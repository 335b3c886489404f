"""Tests never write into the project's run/ folder: a throwaway one, set before any settings load."""

import os
import tempfile

_RUN_DIR = tempfile.mkdtemp(prefix="avecvous-tests-")
os.environ.setdefault("AVECVOUS_RUN_DIR", _RUN_DIR)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_RUN_DIR}/tests.db")
