"""Stepstream inside the trainers people already run. Each module imports
its framework only when used, so ``import stepstream`` needs none of them:

- ``stepstream.integrations.lightning.StepstreamLogger``: a Lightning Logger
- ``stepstream.integrations.transformers.StepstreamCallback``: a Trainer callback
- ``stepstream.integrations.accelerate.StepstreamTracker``: an Accelerate tracker
"""
