#include "daemon/api_metadata.hpp"

#include <string>

namespace mmwatch::daemon {

namespace {

// As the text format's # TYPE lines name them (it has no info type: the
// name ends in _info and the type is gauge), since the names are its too.
constexpr std::string_view kKindNames[] = {"counter", "gauge", "histogram", "summary", "gauge"};

// A prom::Writer that writes nothing but a family list.
class FamilyLister final : public prom::Writer {
public:
    FamilyLister(std::string& unused, std::vector<api::MetricMetadata>& out) : Writer(unused), out_(out) {}

    [[nodiscard]] prom::Format format() const noexcept override { return prom::Format::text; }
    void label(std::string&, std::string_view, std::string_view) const override {}
    void family(std::string_view name, prom::Kind kind, std::string_view help, std::string_view unit) override {
        out_.push_back({std::string(name), std::string(kKindNames[size_t(kind)]), std::string(help), std::string(unit)});
    }
    void metric(std::string_view) override {}
    void value(double) override {}
    void bucket(double, double) override {}
    void quantile(double, double) override {}
    void sum(double) override {}
    void count(double) override {}
    void created(int64_t) override {}
    void native(const prom::NativeHistogram&) override {}
    void finish() override {}

private:
    std::vector<api::MetricMetadata>& out_;
};

}  // namespace

void list_families(MetricsPage& page, std::vector<api::MetricMetadata>& out) {
    std::string unused;
    FamilyLister w(unused, out);
    page.render_into(w);
}

}  // namespace mmwatch::daemon
