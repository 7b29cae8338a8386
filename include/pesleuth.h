/* pesleuth — static analyzer for Windows executables. Umbrella header. */
#ifndef PESLEUTH_H
#define PESLEUTH_H

#define PESLEUTH_VERSION "0.1.0"

#include "pesleuth/error.h"
#include "pesleuth/model.h"
#include "pesleuth/trust.h"
#include "pesleuth/intel.h"
#include "pesleuth/analyze.h"
#include "pesleuth/output.h"
#include "pesleuth/walk.h"
#include "pesleuth/db.h"

#endif
