"""The follow-up machinery of a plan's last section (四(八) of 国发〔2015〕28号).

* :mod:`.adjust` — 动态调整: what the evidence says about each target, proposed raised or
  attainable targets with their probabilities, pace scenarios, and decided adjustments
  recorded as a new plan version;
* :mod:`.warn` — 预警: early-warning rules as data (``plans/warnings.yaml``) evaluated over the
  store, with e-mail notification;
* :mod:`.supervision` — 督促检查 and 监督考核: milestones with responsible bodies, due dates,
  evidence and an append-only log of status updates;
* :mod:`.thirdparty` — 第三方评价: evaluation rounds frozen on a data vintage, a rubric as data,
  several evaluators, Krippendorff's alpha (:mod:`.reliability`);
* :mod:`.midterm` and :mod:`.bulletin` — 中期评估 report and 监测通报 as official-layout
  documents (:mod:`.documents` renders Word and PDF).

Data flows one way: plan and store → evaluate → follow-up → documents and CLI.
"""
