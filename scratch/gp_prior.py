import sys, time; sys.path.insert(0,'.')
import numpy as np
import rung.searchers._gp as G
mode=sys.argv[1]
if mode=='one': G._prior_mean = lambda d: 0.0
from benchmarks.problems.synthetic import PROBLEMS
from rung.searchers import GPSearch
def run(prob, seed, n=100):
    p=PROBLEMS[prob]; s=GPSearch(); s.setup(p.space,'loss','min',np.random.default_rng(seed)); best=np.inf
    for i in range(n):
        c=s.suggest(str(i)); y=p.loss(c); best=min(best,y); s.on_trial_complete(str(i),{'loss':y})
    return best-p.optimum
for prob in sys.argv[2].split(','):
    t=time.time(); r=[run(prob,s) for s in range(int(sys.argv[3]))]
    print(mode, prob, np.median(r), np.round(r,4), round((time.time()-t)/len(r),1), flush=True)
