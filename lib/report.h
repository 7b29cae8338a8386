/* Reports made outside ps_analyze_* (re-judgement): the same allocation, arena and findings. */
#ifndef PS_REPORT_H
#define PS_REPORT_H
#include "arena.h"
#include "findings.h"
#include "pesleuth/model.h"

/* A zeroed report with its arena, findings list and PE model; free with ps_report_free. */
ps_report *ps_report_alloc(ps_arena **arena, ps_findings **fs, ps_pe **pe);
/* Publishes the findings list into the report and sets its worst severity. */
void ps_report_set_findings(ps_report *r);
#endif
