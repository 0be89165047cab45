#include "push/pusher.hpp"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "base/heap.hpp"
#include "push/spool.hpp"
#include "push/write_request.hpp"

namespace mmwatch::push {

namespace {

// "user:password" for libcurl, the password read from its file.
bool basic_auth(const PusherConfig& c, std::string& out, std::string& error) {
    if (c.user.empty()) return true;
    std::string password;
    if (!c.password_file.empty()) {
        std::ifstream f(c.password_file);
        if (!f) {
            error = "cannot read --remote-write-password-file " + c.password_file;
            return false;
        }
        std::getline(f, password);
    }
    out = c.user + ":" + password;
    return true;
}

}  // namespace

std::string spool_dir_for(const std::string& spool_dir, std::string_view url) {
    uint64_t h = 14695981039346656037ull;
    for (char ch : url) h = (h ^ uint8_t(ch)) * 1099511628211ull;
    char name[24];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
    return spool_dir + "/" + name;
}

bool Pusher::start(uv_loop_t* loop, std::string& error) {
    if (config_.urls.empty()) return true;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ = std::make_unique<CurlLoop>(loop);
    if (!curl_->valid()) {
        error = "cannot initialize libcurl for --remote-write";
        return false;
    }
    std::string auth;
    if (!basic_auth(config_, auth, error)) return false;
    uv_idle_init(loop, &idle_);
    idle_.data = this;
    idle_open_ = true;
    for (const std::string& url : config_.urls) {
        SenderConfig c{url,
                       config_.ca_file,
                       auth,
                       config_.bearer_token_file,
                       config_.headers,
                       config_.timeout_ms,
                       config_.queue_bytes,
                       config_.user_agent};
        std::unique_ptr<Spool> spool;
        if (!config_.spool_dir.empty()) {
            if (::mkdir(config_.spool_dir.c_str(), 0700) != 0 && errno != EEXIST) {
                error = "cannot create --remote-write-spool " + config_.spool_dir + ": " + std::strerror(errno);
                return false;
            }
            const std::string dir = spool_dir_for(config_.spool_dir, url);
            spool = Spool::open(dir, config_.spool_bytes, error);
            if (!spool) return false;
            std::ofstream(dir + "/url") << url << "\n";
        }
        senders_.push_back(std::make_unique<Sender>(loop, *curl_, std::move(c), std::move(spool)));
        refusals_reported_.push_back(0);
        spool_reported_.emplace_back();
    }
    return true;
}

void Pusher::consume(std::shared_ptr<const prom::SampleBatch> batch) {
    if (senders_.empty()) return;
    if (stream_.active()) {
        if (waiting_) stream_.skip(waiting_->size());
        waiting_ = std::move(batch);
        return;
    }
    stream_.begin(std::move(batch));
    if ((!turns_.admit() || run_slice()) && idle_open_) uv_idle_start(&idle_, on_idle);
}

// One slice of the push: its requests to every sender (the last one
// takes the body, the others a copy). The slice after a push's last
// begins the batch that waited for it. Returns whether a push runs.
bool Pusher::run_slice() {
    requests_.clear();
    if (!stream_.active() && waiting_) stream_.begin(std::move(waiting_));
    const bool more = stream_.step(requests_) || waiting_;
    peak_working_bytes_ = std::max(peak_working_bytes_, stream_.working_bytes());
    for (Request& r : requests_) {
        for (size_t i = 0; i + 1 < senders_.size(); ++i) senders_[i]->enqueue(r);
        senders_.back()->enqueue(std::move(r));
    }
    requests_.clear();
    return more;
}

void Pusher::on_idle(uv_idle_t* h) {
    auto* p = static_cast<Pusher*>(h->data);
    if (!p->turns_.admit()) return;  // the next turn's
    p->curl_->guarded("push_slice", [p] {
        if (p->run_slice()) return;
        uv_idle_stop(&p->idle_);
        base::release_free_heap();  // what the push freed, back to the system
    });
}

std::vector<Refusal> Pusher::take_refusals() {
    std::vector<Refusal> out;
    for (size_t i = 0; i < senders_.size(); ++i) {
        const Sender& s = *senders_[i];
        if (s.rejections_seen() == refusals_reported_[i]) continue;
        refusals_reported_[i] = s.rejections_seen();
        out.push_back({s.url(), s.last_rejection()});
    }
    return out;
}

std::vector<SpoolNote> Pusher::take_spool_notes() {
    std::vector<SpoolNote> out;
    for (size_t i = 0; i < senders_.size(); ++i) {
        const Sender& s = *senders_[i];
        SpoolReported& r = spool_reported_[i];
        if (s.spool_outages() != r.outages && !r.failing) {
            out.push_back({s.url(), "cannot write --remote-write-spool " + s.spool()->dir() + ": " +
                                        std::strerror(s.spool_last_error()) +
                                        "; batches wait in memory up to --remote-write-queue-bytes"});
            r = {s.spool_outages(), true};
        } else if (r.failing && s.spool_writable() && s.counters().pending_samples == 0) {
            out.push_back({s.url(), "--remote-write-spool " + s.spool()->dir() + " takes batches again"});
            r = {s.spool_outages(), false};
        }
    }
    return out;
}

void Pusher::close() {
    // A push under way is finished: its requests reach the queues (and the
    // spool) before the senders close.
    // Guarded and counted like every push callback: a failure here must
    // not skip closing the senders (and their spool).
    if (curl_ && !senders_.empty())
        (void)curl_->guarded("push_slice", [this] {
            while (run_slice()) {
            }
        });
    if (idle_open_) {
        uv_idle_stop(&idle_);
        uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
        idle_open_ = false;
    }
    for (auto& s : senders_) s->close();
    if (curl_) curl_->close();
}

}  // namespace mmwatch::push
