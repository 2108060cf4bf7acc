import sys, time
sys.path.insert(0, '.')
from multiprocessing import Pool
import numpy as np
import benchmarks.schedulers as B
from pathlib import Path
data = B.DEFAULT_PATH
L = float(sys.argv[1]); workers=int(sys.argv[2]); seeds=int(sys.argv[3]); tasks=sys.argv[4].split(',')
budgets={}
for t in tasks:
    p=f"lcbench-{t}"
    budgets[(p,workers)] = B.full_trial_seconds(B.load_problem(p,data))*L
jobs=[(p,s,w,seed,budgets[(p,w)],data) for (p,w) in budgets for s in ['fifo','asha'] for seed in range(seeds)]
t0=time.time()
with Pool(2) as pool: runs=pool.map(B.one_run, jobs)
B.SCHEDULERS=['fifo','asha']
rows=B.summarize(runs,budgets)
for r in rows: print(r['problem'],r['workers'],r['scheduler'],round(r['final_median'],3),r['speedup_vs_fifo'],r['trials_median'])
print(time.time()-t0)
