// Checking a result against an eval command's expectations (test.go's
// compareResult, checkAnnotations, checkExpectedFailure). Each returns
// an empty string when the expectation holds, else why not.
#pragma once

#include <string>
#include <vector>

#include "promqltest.hpp"

namespace mmwatch::promql::test {

[[nodiscard]] std::string check_expected_failure(const EvalCmd& cmd, const std::string& message);
[[nodiscard]] std::string check_annotations(const EvalCmd& cmd, const std::vector<Annotation>& annotations);
[[nodiscard]] std::string compare_result(const EvalCmd& cmd, const QueryResult& r);
// The range query run around an instant query's time must agree with it
// at that time.
[[nodiscard]] std::string compare_range_mode(const EvalCmd& cmd, const QueryResult& instant, const QueryResult& range,
                                             int64_t t);
// util/almost.Equal with Prometheus's test epsilon.
[[nodiscard]] bool almost_equal(double a, double b);

}  // namespace mmwatch::promql::test
