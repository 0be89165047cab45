// /api/v1/metadata's families (docs/query.md): the /metrics page rendered
// into a writer that keeps only each family's name, kind, HELP and UNIT.
#pragma once

#include <vector>

#include "api/metadata.hpp"
#include "daemon/metrics_page.hpp"

namespace mmwatch::daemon {

void list_families(MetricsPage& page, std::vector<api::MetricMetadata>& out);

}  // namespace mmwatch::daemon
