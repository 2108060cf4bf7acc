"""Callbacks for the frameworks people train with: each reports a chosen metric every epoch
or boosting round to rung, ends training cleanly when rung stops the trial, and saves the
framework's own checkpoint when rung needs one (to pause, copy or retry the trial).

Each lives in its own module, imported only when used, and needs its framework (an extra):

- ``rung.integrations.lightning.RungCallback`` (PyTorch Lightning, ``rung[lightning]``);
- ``rung.integrations.keras.RungCallback`` (Keras 3, any backend, ``rung[keras]``);
- ``rung.integrations.xgboost.RungCallback`` (XGBoost, ``rung[xgboost]``);
- ``rung.integrations.lightgbm.RungCallback`` (LightGBM, ``rung[lightgbm]``).

Each module's ``checkpoint_path()`` says where the trial resumes from (None: from scratch).
"""
