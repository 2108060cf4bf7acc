import sys; sys.path.insert(0,'.')
import numpy as np, rung, warnings
warnings.simplefilter('ignore')
import benchmarks.schedulers as B
from rung.executors import SimulatedExecutor
p=B.load_problem('lcbench-167168',B.DEFAULT_PATH)
budget=B.full_trial_seconds(p)*10
for sched in ['fifo','asha']:
    r=rung.run(p,p.space,metric=p.metric,mode=p.mode,scheduler=B.make_scheduler(sched,p,256),time_budget_s=budget,executor=SimulatedExecutor(256),seed=0,verbose=0)
    df=r.results_dataframe()
    i=df[p.metric].idxmax(); row=df.loc[i]
    print(sched, len(r.trials), row[p.metric], row['epoch'], row['trial_id'])
    t=r.best_trial; print(t.config)
    acc=[p(t.config,e)[0][p.metric] for e in range(1,53)]
    print(np.round(acc,1))
    fin=df.groupby('trial_id')['epoch'].max(); print('trials reaching 52:', (fin>=52).sum(), 'rungs', fin.value_counts().sort_index().to_dict())
