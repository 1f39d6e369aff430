"""The one place a Spark session is made: linkage, rating and bulk import all ask here.

Spark is an optional extra (`pip install 'xinyong[spark]'`); asking for it without pyspark or without a
working Java is a one-line configuration error, never a traceback. Sessions are shared per master URL
within a process (Spark allows one active context per JVM), with settings that keep results equal to the
DuckDB path: UTC session time zone, ANSI SQL, and no web UI.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Final

from xinyong.errors import ConfigError

SPARK_INSTALL: Final = "pip install 'xinyong[spark]'"
#: The batch engines (XINYONG_ENGINE): DuckDB (and pyarrow) in this process, or Spark.
ENGINES: Final = ("duckdb", "spark")

_LOCK = threading.Lock()
_SESSIONS: dict[str, Any] = {}


def spark_available() -> bool:
    """Whether pyspark is installed in this environment."""
    return importlib.util.find_spec("pyspark") is not None


def spark_session(master: str = "local[*]") -> Any:
    """A SparkSession on `master`, made once per process; ConfigError when Spark cannot start.

    Splink's similarity UDF jar (for the installed Spark major version) is always on the classpath,
    because jars can only be added when a session is made and the session is shared.
    """
    if not spark_available():
        raise ConfigError(f"the spark engine needs pyspark, which is not installed: {SPARK_INSTALL}")
    with _LOCK:
        existing = _SESSIONS.get(master)
        if existing is not None:
            return existing
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master(master)
            .appName("xinyong")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("XINYONG_SPARK_SHUFFLE_PARTITIONS", "8"))
            .config("spark.driver.memory", os.environ.get("XINYONG_SPARK_DRIVER_MEMORY", "4g"))
            .config("spark.local.dir", tempfile.gettempdir())
        )
        if master.startswith("local"):
            # Python UDFs run in worker processes started with PYSPARK_PYTHON, `python3` on the PATH when
            # unset: on a local master that must be this interpreter, which has xinyong's packages.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        jar = _splink_jar()
        if jar is not None:
            builder = builder.config("spark.jars", jar)
        try:
            session = builder.getOrCreate()
        except _start_errors() as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"spark could not start ({master}): {first}") from None
        session.sparkContext.setLogLevel("ERROR")
        _SESSIONS[master] = session
        return session


def stop_sessions() -> None:
    """Stop every session this process made (tests and short-lived commands call it at exit)."""
    with _LOCK:
        for session in _SESSIONS.values():
            session.stop()
        _SESSIONS.clear()


def _splink_jar() -> str | None:
    # Found by path so that only xinyong.link imports splink; Splink ships one jar per Spark major.
    import pyspark

    spec = importlib.util.find_spec("splink")
    if spec is None or spec.origin is None:
        return None
    jars = Path(spec.origin).parent / "internals" / "files" / "spark_jars"
    major = pyspark.__version__.split(".")[0]
    found = sorted(jars.glob(f"scala-udf-similarity-*_spark{major}.x.jar"))
    return str(found[-1]) if found else None


def _start_errors() -> tuple[type[BaseException], ...]:
    # A missing or broken Java shows up as PySparkRuntimeError (a RuntimeError) on pyspark 3.4+,
    # and as a plain RuntimeError or an OSError from the gateway launcher on older releases.
    from pyspark.errors import PySparkException

    return (PySparkException, RuntimeError, OSError)
