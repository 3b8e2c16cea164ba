"""Visual Prompt Studio runs in PyTorch: `load_run` reads a run directory, `apply` wraps your own backbone with
its prompt and head; `python -m vp_studio.train` trains the same run (one process or torchrun/DDP)."""
from .apply import apply
from .families import FAMILIES, wrap_backbone
from .prompted import PromptedModel
from .run import Run, RunError, load_run

__all__ = ["apply", "load_run", "Run", "RunError", "PromptedModel", "wrap_backbone", "FAMILIES"]
