import time, numpy as np, optuna, sys
sys.path.insert(0,'.')
from benchmarks.problems.synthetic import PROBLEMS
optuna.logging.set_verbosity(optuna.logging.WARNING)
p=PROBLEMS['hartmann6']
def obj(t): return p.loss({f"x{i}": t.suggest_float(f"x{i}",0,1) for i in range(6)})
t=time.time(); st=optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0)); st.optimize(obj, n_trials=100)
print('optuna gp hartmann6', st.best_value-p.optimum, time.time()-t)
