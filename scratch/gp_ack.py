import sys; sys.path.insert(0,'.')
import numpy as np
from benchmarks.problems.synthetic import PROBLEMS
from rung.searchers import GPSearch
p=PROBLEMS['ackley10']; s=GPSearch(); s.setup(p.space,'loss','min',np.random.default_rng(0))
ys=[]
for i in range(100):
    c=s.suggest(str(i)); y=p.loss(c); ys.append(y); s.on_trial_complete(str(i),{'loss':y})
    if i in (30,60,99): print(i, np.exp(s._hyper.log_length).round(2), round(np.exp(s._hyper.log_signal),3), np.exp(s._hyper.log_noise).round(4), min(ys))
x=s.observed.x; print(np.abs(x[-20:]-0.5).mean(1).round(2))
