#include "push/sender.hpp"

#include <fstream>
#include <sstream>

#include "base/clock.hpp"
#include "base/strings.hpp"

namespace mmwatch::push {

namespace {

// What of a refusal's body goes to the event log.
constexpr size_t kMaxRejectionBytes = 256;

std::string read_token(const std::string& path) {
    std::ifstream f(path);
    std::string token;
    std::getline(f, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    return token;
}

}  // namespace

Sender::Sender(uv_loop_t* loop, CurlLoop& curl, SenderConfig config, std::unique_ptr<Spool> spool)
    : loop_(loop), curl_(curl), config_(std::move(config)), spool_(std::move(spool)) {
    easy_ = curl_easy_init();
    uv_timer_init(loop_, &backoff_timer_);
    backoff_timer_.data = this;
    timer_open_ = true;
    for (const char* h : {"Content-Encoding: snappy", "Content-Type: application/x-protobuf",
                          "X-Prometheus-Remote-Write-Version: 0.1.0", "Expect:"})
        headers_ = curl_slist_append(headers_, h);
    for (const std::string& h : config_.headers) headers_ = curl_slist_append(headers_, h.c_str());
}

Sender::~Sender() {
    close();
    if (easy_) curl_easy_cleanup(easy_);
    curl_slist_free_all(headers_);
}

void Sender::close() {
    if (in_flight_) curl_.cancel(easy_);
    in_flight_ = false;
    spill();  // what memory holds survives the restart on disk, if the disk takes it
    if (timer_open_) {
        uv_timer_stop(&backoff_timer_);
        uv_close(reinterpret_cast<uv_handle_t*>(&backoff_timer_), nullptr);
        timer_open_ = false;
    }
}

void Sender::enqueue(Request request) {
    counters_.samples_in += request.samples;
    keep(Batch{std::move(request.body), request.samples});
    pump();
}

// A new batch goes behind everything kept: to the spool when it takes it
// and memory holds nothing (memory only ever holds what is newer than the
// spool), else to memory.
void Sender::keep(Batch b) {
    spill();
    if (spool_ && queue_.empty() && to_spool(b)) return;
    counters_.pending_samples += b.samples;
    counters_.pending_bytes += b.body.size();
    queue_.push_back(std::move(b));
    trim_memory();
}

// One batch to the spool; a refusal starts an outage (logged once by the
// daemon), an append that works again ends it.
bool Sender::to_spool(const Batch& b) {
    const int err = spool_->append(b.body, uint32_t(b.samples));
    if (err != 0) {
        if (spool_writable_) ++spool_outages_;
        spool_last_error_ = err;
    }
    spool_writable_ = err == 0;
    return spool_writable_;
}

// Over its bytes, memory gives up its oldest batches; the one on the wire stays.
void Sender::trim_memory() {
    const bool wire = in_flight_ && !from_spool_;
    while (counters_.pending_bytes > config_.queue_bytes && queue_.size() > (wire ? 1u : 0u)) {
        if (!wire) {
            drop_front(DropReason::queue_full);
            continue;
        }
        const Batch& victim = queue_[1];
        counters_.samples_dropped[size_t(DropReason::queue_full)] += victim.samples;
        counters_.pending_samples -= victim.samples;
        counters_.pending_bytes -= victim.body.size();
        queue_.erase(queue_.begin() + 1);
    }
}

// Memory moves to the spool, oldest first, as far as the spool takes it;
// never the batch on the wire from memory (it would be sent twice, and
// out of order if it failed).
void Sender::spill() {
    if (!spool_ || (in_flight_ && !from_spool_)) return;
    while (!queue_.empty() && to_spool(queue_.front())) {
        counters_.pending_samples -= queue_.front().samples;
        counters_.pending_bytes -= queue_.front().body.size();
        queue_.pop_front();
    }
}

// The batch just sent (delivered, or refused for good) leaves its queue.
void Sender::sent_front(bool delivered) {
    if (from_spool_) {
        if (delivered) {
            counters_.samples_sent += spool_samples_;
            counters_.bytes_sent += spool_body_.size();
        }
        else counters_.samples_dropped[size_t(DropReason::rejected)] += spool_samples_;
        spool_->pop();
        return;
    }
    if (delivered) {
        counters_.samples_sent += queue_.front().samples;
        counters_.bytes_sent += queue_.front().body.size();
        counters_.pending_samples -= queue_.front().samples;
        counters_.pending_bytes -= queue_.front().body.size();
        queue_.pop_front();
    } else {
        drop_front(DropReason::rejected);
    }
}

void Sender::drop_front(DropReason why) {
    const Batch& b = queue_.front();
    counters_.samples_dropped[size_t(why)] += b.samples;
    counters_.pending_samples -= b.samples;
    counters_.pending_bytes -= b.body.size();
    queue_.pop_front();
}

// curl's callbacks are called from C: nothing may escape them. A body that
// cannot be kept fails the transfer (curl sees fewer bytes taken).
size_t Sender::on_body(char* data, size_t size, size_t n, void* self) {
    auto* s = static_cast<Sender*>(self);
    const size_t bytes = size * n;
    bool kept = false;
    s->curl_.guarded("push_body", [&] {
        if (s->response_.size() < kMaxRejectionBytes) s->response_.append(data, std::min(bytes, kMaxRejectionBytes));
        kept = true;
    });
    return kept ? bytes : 0;
}

size_t Sender::on_header(char* data, size_t size, size_t n, void* self) {
    auto* s = static_cast<Sender*>(self);
    const std::string_view line(data, size * n);
    constexpr std::string_view kRetryAfter = "retry-after:";
    if (line.size() > kRetryAfter.size()) {
        if (base::iequals(line.substr(0, kRetryAfter.size()), kRetryAfter)) {
            // Seconds only (an HTTP date is treated as absent).
            uint64_t seconds = 0;
            bool digits = false;
            for (char c : line.substr(kRetryAfter.size())) {
                if (c >= '0' && c <= '9') {
                    seconds = seconds * 10 + uint64_t(c - '0');
                    digits = true;
                } else if (c != ' ' && c != '\r' && c != '\n') {
                    digits = false;
                    break;
                }
            }
            if (digits) s->retry_after_ms_ = std::min<uint64_t>(seconds * 1000, kMaxBackoffMs);
        }
    }
    return size * n;
}

void Sender::pump() {
    if (in_flight_ || backing_off_ || !easy_) return;
    // The spool first (memory holds only what is newer), then memory.
    from_spool_ = spool_ && spool_->front(spool_body_, spool_samples_);
    if (!from_spool_ && queue_.empty()) return;
    const std::string_view body = from_spool_ ? std::string_view(spool_body_) : std::string_view(queue_.front().body);
    curl_easy_reset(easy_);
    curl_easy_setopt(easy_, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_POST, 1L);
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
    curl_slist* headers = headers_;
    std::string bearer;
    curl_slist* with_token = nullptr;
    if (!config_.bearer_token_file.empty()) {
        bearer = "Authorization: Bearer " + read_token(config_.bearer_token_file);
        with_token = curl_slist_append(nullptr, bearer.c_str());
        for (curl_slist* h = headers_; h; h = h->next) with_token = curl_slist_append(with_token, h->data);
        headers = with_token;
    }
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, config_.user_agent.c_str());
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, long(config_.timeout_ms));
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, long(std::min<uint64_t>(config_.timeout_ms, 10'000)));
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    if (!config_.ca_file.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, config_.ca_file.c_str());
    if (!config_.basic_auth.empty()) {
        curl_easy_setopt(easy_, CURLOPT_HTTPAUTH, long(CURLAUTH_BASIC));
        curl_easy_setopt(easy_, CURLOPT_USERPWD, config_.basic_auth.c_str());
    }
    response_.clear();
    retry_after_ms_ = 0;
    started_ms_ = uv_now(loop_);
    in_flight_ = true;
    ++counters_.requests;
    const bool started = curl_.start(easy_, [this, with_token](CURLcode result, long status) {
        curl_slist_free_all(with_token);
        done(result, status);
    });
    if (!started) {
        curl_slist_free_all(with_token);
        in_flight_ = false;
        back_off(0);
    }
}

void Sender::done(CURLcode result, long status) {
    in_flight_ = false;
    counters_.send_seconds_sum += double(uv_now(loop_) - started_ms_) / 1000.0;
    ++counters_.send_count;
    if (!from_spool_ && queue_.empty()) return;
    const size_t samples = from_spool_ ? spool_samples_ : queue_.front().samples;
    if (result == CURLE_OK && status >= 200 && status < 300) {
        counters_.last_success_unix_ms = base::unix_ns_now() / 1'000'000;
        sent_front(true);
        backoff_ms_ = 0;
        spill();  // sending freed room on disk: what waits in memory goes there
        pump();
        return;
    }
    if (result == CURLE_OK && status >= 400 && status < 500 && status != 429) {
        // The receiver will never take this batch: drop it, say why once.
        std::string why = "HTTP " + std::to_string(status) + ": " + response_;
        while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
        if (why != last_rejection_) {
            last_rejection_ = why;
            ++rejections_seen_;
        }
        sent_front(false);
        pump();
        return;
    }
    counters_.samples_failed += samples;
    back_off(status == 429 || status == 503 ? retry_after_ms_ : 0);
}

// Exponential backoff with ±20% jitter (so a fleet does not retry in
// step), at least what Retry-After asked for.
void Sender::back_off(uint64_t retry_after_ms) {
    backoff_ms_ = backoff_ms_ ? std::min(backoff_ms_ * 2, kMaxBackoffMs) : kFirstBackoffMs;
    const uint64_t jitter = backoff_ms_ / 5;
    uint64_t wait = backoff_ms_ - jitter + (jitter ? jitter_() % (2 * jitter + 1) : 0);
    wait = std::max(wait, retry_after_ms);
    backing_off_ = true;
    uv_timer_start(&backoff_timer_, on_backoff, wait, 0);
}

void Sender::on_backoff(uv_timer_t* t) {
    auto* s = static_cast<Sender*>(t->data);
    s->backing_off_ = false;
    s->curl_.guarded("push_backoff", [s] { s->pump(); });
}

}  // namespace mmwatch::push
