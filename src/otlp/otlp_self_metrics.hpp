// mmwatch_otlp_* self-metrics: every counter written on every scrape, zero
// or not, so a dashboard never has to tell "no data" from "none happened".
#pragma once

#include <string>

#include "otlp/exposition.hpp"
#include "otlp/receiver.hpp"
#include "otlp/store.hpp"
#include "prom/writer.hpp"

namespace mmwatch::otlp {

void write_self_metrics(const Store& store, const ReceiverCounters& receiver, const ExpositionSkips& skips,
                        prom::Writer& out);

}  // namespace mmwatch::otlp
