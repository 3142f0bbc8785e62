"""A Dagster logger for the terminal: one line per step start and end, and the assets' own progress."""

import logging
import time

import dagster as dg


class _ProgressHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)  # step events arrive at DEBUG; emit() picks what to show
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        kind = event.event_type_value if event else None
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            line = f"  {step} ..."
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds = time.perf_counter() - self.started.get(step, time.perf_counter())
            line = f"  {step} {'done' if kind == 'STEP_SUCCESS' else 'FAILED'} in {seconds:.1f} s"
        elif event is None and record.levelno >= logging.INFO:
            message = str(meta.get("orig_message", record.getMessage()))
            if message.startswith("Dependencies for step"):
                return  # the failed step already said why; skipped steps are listed in the UI
            line = f"    {message}"
        else:
            return
        print(line, flush=True)


@dg.logger(description="Concise progress for `papers run`: steps as they start and end, assets' messages.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("papers.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers = [_ProgressHandler()]
    return log
