import sys, time; sys.path.insert(0,'.')
import numpy as np, rung, cProfile, pstats
from benchmarks.problems.synthetic import PROBLEMS
from rung.searchers import TPESearch
p=PROBLEMS[sys.argv[1] if len(sys.argv)>1 else 'hartmann6']
s=TPESearch(multivariate=True); s.setup(p.space, metric='loss', mode='min', rng=np.random.default_rng(0))
rng=np.random.default_rng(1)
for i in range(1000):
    c=p.space and rung.Space(p.space).sample(rng); s.pending[str(i)]=c; s.on_trial_complete(str(i), {'loss':p.loss(c)})
s._suggested=100
t=time.perf_counter(); 
for i in range(50): s.suggest(f"x{i}"); s.pending.clear()
print('ms per suggest', (time.perf_counter()-t)/50*1e3)
cProfile.run('for i in range(50): s.suggest(f"y{i}"); s.pending.clear()', 'scratch/prof')
pstats.Stats('scratch/prof').sort_stats('tottime').print_stats(12)
