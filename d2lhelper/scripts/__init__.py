"""Scripts the chapters launch with ``torchrun`` (installed with the package, so they run in Colab too).

Find one with :func:`d2lhelper.distributed.script_path`, e.g. ``script_path("ddp_train")``.
"""
