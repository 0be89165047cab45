// Every limit mmwatch enforces, in one place, each with its unit in the name
// and the reason for its value. Limits a user may tune are flags (see
// --help and docs/operations.md); these constants are their defaults and
// the ones that are fixed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mmwatch::base {

// --- HTTP -----------------------------------------------------------------
// A scrape request is a request line and a few headers; 8 KiB is what
// common servers allow for a head and far more than curl or Prometheus send.
inline constexpr size_t kMaxRequestHeadBytes = 8 * 1024;
// Header lines per request; Prometheus sends about 6.
inline constexpr size_t kMaxRequestHeaders = 32;
// Default cap on an OTLP POST body, before and after decompression
// (--max-body-bytes). OTLP exporters batch to well under 4 MiB by default.
inline constexpr uint64_t kDefaultMaxBodyBytes = 4 * 1024 * 1024;
// Time a proven client (one that has completed a request on this
// connection) has from the first byte of its next request to deliver all of
// it. Long enough for a person typing into nc.
inline constexpr uint64_t kRequestDeadlineMs = 10'000;
// Time a new connection may stay silent. A scraper sends its request at
// once; a connection that says nothing holds a slot for nothing.
inline constexpr uint64_t kFirstByteTimeoutMs = 5'000;
// Time a new connection has, from connecting, to finish its TLS handshake
// and its first request (and authenticate, where basic auth is on): one
// deadline for everything before it is proven, tighter than the 5 s + 10 s
// a proven connection's next request may take. A scraper needs
// milliseconds; a person typing into nc still has the time to.
inline constexpr uint64_t kFirstRequestDeadlineMs = 10'000;
// Time a keep-alive connection may wait for its next request: longer than
// Prometheus' default 15 s interval, so its connection is reused.
inline constexpr uint64_t kKeepAliveIdleMs = 30'000;
// Share of --max-connections, in percent, that connections not yet proven
// (in their handshake or first request) may hold; the rest is for proven
// ones. Newcomers shed each other inside their share and never a proven
// connection, so a scraper's kept connection outlives any flood of new
// ones, and a flood of proven ones still leaves room for new scrapers.
// A quarter: 64 of the default 256, far more than the connections a fleet
// of scrapers opens at once.
inline constexpr size_t kUnprovenSharePercent = 25;
// Client addresses remembered as having completed a request (authenticated,
// where auth is on), least recently used forgotten first: at the cap, a
// newcomer from one of them is shed only after every newcomer from an
// address never seen (docs/security.md, "Who is shed at the cap"). A fleet
// of Prometheus servers, people and sidecars is far fewer. A fixed table
// per listener made at start (http::ProvenAddresses: 16 bytes an entry
// and 4 bytes of index, about 20 KiB in all); nothing is allocated after
// start, so remembering cannot fail in a callback. A flood from many addresses that each complete a
// request pushes a scraper out only if it completes more than this many
// requests from distinct addresses between two of its scrapes.
inline constexpr size_t kMaxProvenAddresses = 1024;
// How much longer a newcomer one step further into its first request may
// wait on its client before it is shed in favour of one that waits at an
// earlier step. Steps: its TLS ClientHello answered (or its handshake
// done: a real client sends its request at once, so only an attacker
// waits there), and its request whole and being answered (three more). In a flood of
// connections that reconnect as fast as they are shed, each one waits a
// few milliseconds before it goes; a scraper thinking over the server's
// handshake flight (verifying a certificate on a busy host) needs more.
inline constexpr uint64_t kNewcomerStepCreditMs = 250;
// Newcomers looked at, per one shed, whose bytes turn out to wait unread
// in the kernel (one FIONREAD each, and one scan of the newcomers' share):
// under a flood the loop reads a turn's connections one after another, and
// a scraper whose ClientHello arrived is not the one to shed for being
// read last. A few: past them the stalest goes anyway.
inline constexpr size_t kShedPeeksPerNewcomer = 4;
// Minimum average rate once a response is under way (after a grace
// period): a reader holding a slot must keep moving, as nginx's
// send_timeout and Apache's mod_reqtimeout MinRate ask. A reader below it
// is cut. 4 KiB/s is a slow modem, far below any scraper.
inline constexpr uint64_t kMinSendBytesPerSec = 4096;
inline constexpr uint64_t kRateGraceMs = 5'000;
// How often a connection that is writing checks its send rate and deadline.
inline constexpr uint64_t kSendCheckMs = 1'000;
// Default budgets (--response-memory, --request-memory): bytes of response
// bodies and of request buffers held by connections. 128 MiB holds a
// 100,000-series body (about 5 MB) many times over, old bodies of slow
// readers included; 64 MiB holds 16 OTLP bodies at the 4 MiB cap at once.
inline constexpr uint64_t kDefaultResponseMemory = 128ull * 1024 * 1024;
inline constexpr uint64_t kDefaultRequestMemory = 64ull * 1024 * 1024;
// Time a client has to read a whole response. A scrape of 100,000 series
// is ~6 MB: even a slow link moves that in far less.
inline constexpr uint64_t kResponseDeadlineMs = 30'000;
// Default concurrent connections (--max-connections). Each costs a few KiB
// plus a reference to a shared response body.
inline constexpr size_t kDefaultMaxConnections = 256;
// Connections accepted per loop turn and listener, at most (and at most a
// quarter of the newcomers' share): a burst larger than the share never
// sheds, in the same turn, a newcomer whose first bytes were not read yet;
// the rest wait in the kernel's backlog for the next turn.
inline constexpr size_t kMaxAcceptsPerTurn = 16;
// Connections taken from a listener's backlog per loop turn, at most,
// those closed at once because their client had already gone included
// (it closed its side before its TLS handshake, or before sending a
// byte). A flood that gives up on its connections fills the kernel's
// backlog with such ones whenever the loop falls behind, and the backlog
// is first in, first out: a scraper's connection waits behind all of it.
// One costs an accept, a poll and a close, so 256 are well under a
// millisecond of a turn and a backlog of thousands drains in a few turns.
inline constexpr size_t kMaxTakenPerTurn = 256;
// Bytes handed to the kernel per write on one connection; the next chunk
// is queued when this one completes, so no callback writes more.
inline constexpr size_t kWriteChunkBytes = 256 * 1024;
// Plaintext encrypted per write on a TLS connection: the next slice is
// encrypted only when the kernel has taken the last one, so a reader that
// stalls holds at most this much ciphertext (plus 22 bytes per 16 KiB
// record), counted in --response-memory. One record: 16 KiB per write
// completion still moves a 5 MB body in 320 completions, and 256 stalled
// readers hold 4 MiB of ciphertext, not 16.
inline constexpr size_t kTlsWriteChunkBytes = 16 * 1024;
// Bytes of responses one loop turn writes (and, on TLS, encrypts) over all
// connections of a listener, granted a chunk at a time round robin by
// client address (http::WriteScheduler); who is left waits for the next
// turn, which comes at once. About 1 ms of a core (AES-GCM and a loopback
// copy at ~1 GB/s): beside 1,000 pullers of a 1 MB body from one address,
// a scraper from another gets a chunk every turn, so its request is read
// within a turn's budget and its body goes in a few turns, where before a
// turn wrote a chunk to every puller ready for one. Two chunks: against
// 1 MiB (four), the TLS scraper's median halved (6 against 7-11 ms, keep-
// alive) and the pullers moved as many bytes (docs/benchmarks.md).
inline constexpr size_t kWriteTurnBytes = 512 * 1024;
// What a grant costs of kWriteTurnBytes at least, however small the answer:
// a turn grants at most 32 chunks, so its rounds (each looks at every
// waiting connection once) stay few even when all answers are small.
inline constexpr size_t kWriteGrantFloorBytes = 16 * 1024;
// A connection's request buffer larger than this after its request was
// answered is given back: an idle keep-alive connection holds no 4 MiB body.
inline constexpr size_t kKeepRequestBufferBytes = 64 * 1024;
// Bytes read from one connection per readable event before yielding.
inline constexpr size_t kReadChunkBytes = 64 * 1024;
// Default cap on one /metrics response (--max-response-bytes): the
// exposition stops adding series past it and counts the hit.
inline constexpr size_t kDefaultMaxResponseBytes = 64 * 1024 * 1024;

// --- Files ----------------------------------------------------------------
// File descriptors kept free of sources, beyond one per connection of each
// listener: listeners, inotify, the directory and its scans, the event log,
// stdio, /proc reads. Files past the rest wait for an fd (counted).
inline constexpr size_t kReservedFds = 32;
// Default files watched at once (--max-files).
inline constexpr size_t kDefaultMaxFiles = 4096;
// Default largest file accepted (--max-file-bytes): 1024 histograms of
// g=7, m=64 are ~61 MB; 256 MiB leaves room and refuses absurd sizes.
inline constexpr uint64_t kDefaultMaxFileBytes = 256ull * 1024 * 1024;
// Default total bytes mapped across all files (--max-mapped-bytes).
inline constexpr uint64_t kDefaultMaxMappedBytes = 1024ull * 1024 * 1024;
// Data bytes copied per timer tick; sources past it are copied next tick
// (resumed with a cursor), so one tick never stalls the loop for long.
inline constexpr uint64_t kMaxSnapshotBytesPerTick = 256ull * 1024 * 1024;
// ...and per second: at --interval 100ms a tick may copy a tenth of it, so
// 1 GiB of mapped files costs a bounded share of a core at any interval
// (each file is then copied less often than every tick, counted).
inline constexpr uint64_t kMaxSnapshotBytesPerSecond = 256ull * 1024 * 1024;
// Pending files validated (pread of header and catalog, up to 257 KiB
// each, and a first copy) per tick; the rest wait for the next tick.
inline constexpr size_t kMaxActivationsPerTick = 256;
// inotify events read per readable wake-up (one read of this many bytes).
inline constexpr size_t kInotifyReadBytes = 64 * 1024;
// Default time a file may stay not ready before it is rejected.
inline constexpr uint64_t kDefaultReadyTimeoutMs = 5'000;
// Default snapshot interval.
inline constexpr uint64_t kDefaultIntervalMs = 1'000;
// Default --stale-after: a producer that stopped (killed, hung) leaves its
// file, and its frozen values must not look live. 5 minutes is Prometheus's
// own staleness horizon (a series missing that long stops answering
// queries); a producer that is legitimately quiet longer keeps one value
// moving (a heartbeat gauge) or runs mmwatch with a longer --stale-after.
inline constexpr uint64_t kDefaultStaleAfterMs = 5 * 60'000;
// Default --histogram-grouping-power: 8 buckets per power of two (12.5%
// relative width) keeps at most 496 `le` series for an m=64 histogram.
inline constexpr unsigned kDefaultExpositionGroupingPower = 3;

// --- The sample pipeline (daemon/sampler.hpp) --------------------------------
// Samples collected per loop turn: about 1 ms of CPU in a release build
// (collecting and deduplicating 100,000 series took 15-36 ms in all), so
// a scrape waiting meanwhile is answered between slices.
inline constexpr size_t kSampleSliceSamples = 5'000;
// Times one collection begins again because the files changed under it
// before the next is made whole in one loop turn (the whole page at once,
// which no change can interrupt: 15-36 ms at 100,000 series). Without a
// bound, a directory whose files change every turn would keep history and
// remote_write from ever getting a batch; 4 restarts are 4 changes of the
// active files within one collection (at 100,000 series about 20 turns):
// churn, not a deploy.
inline constexpr unsigned kMaxSampleRestarts = 4;


// --- OTLP ingest ------------------------------------------------------------
// Default time an OTLP series stays on /metrics after its last point was
// received (--otlp-window): a few scrapes and remote-write pushes of an
// exporter that stopped, then it is gone (a staleness marker in history).
// The points themselves are in the history store, kept by its retention.
inline constexpr uint64_t kDefaultOtlpWindowMs = 5 * 60 * 1000;
// Default cap on distinct OTLP series (--otlp-max-series). Each costs ~100
// bytes of metadata plus its points; a point for a new series past the cap
// is refused and counted (series_limit).
inline constexpr size_t kDefaultOtlpMaxSeries = 100'000;
// Default budget for what the OTLP store keeps (--otlp-max-bytes): what
// identifies series (strings, label sets, series, families, resources,
// services) and their latest values; the points live in the history store,
// under --history-bytes. 32 MiB is what identities had when half of 64 MiB
// went to a ring of points: 100,000 series fit with room to spare.
inline constexpr uint64_t kDefaultOtlpMaxBytes = 32ull * 1024 * 1024;
// Caps beside the series cap: distinct metric names (families), resources
// (distinct resource attribute sets) and services (namespace, name). A
// point that would need a new one past its cap is refused and counted.
inline constexpr size_t kDefaultOtlpMaxFamilies = 10'000;
inline constexpr size_t kDefaultOtlpMaxResources = 1'000;
inline constexpr size_t kDefaultOtlpMaxServices = 1'000;
// What a sender can make mmwatch print on every line of a series: metric
// names, label names and values, labels per series (point attributes plus
// resource and scope labels). Prometheus' own defaults are unbounded; these
// follow the order of Grafana Mimir's (name 1024, value 2048, 30 labels),
// lower where a device's /metrics should stay small. Over: point refused.
inline constexpr size_t kMaxOtlpNameBytes = 256;
inline constexpr size_t kMaxOtlpLabelNameBytes = 128;
inline constexpr size_t kMaxOtlpLabelValueBytes = 1024;
inline constexpr size_t kMaxOtlpLabelsPerSeries = 32;
// HELP text kept per family; a longer description is cut at a character
// boundary (and counted), not refused: it is written once per family.
inline constexpr size_t kMaxOtlpDescriptionBytes = 1024;
// A point stamped further than this from the receiver's clock (either way)
// is stored at its receipt time and counted by direction: a device that
// booted without a real-time clock, or one set to 2099, neither vanishes
// behind a 200 nor freezes its series. Mimir and Cortex use 10 minutes for
// the future bound (creation_grace_period).
inline constexpr int64_t kMaxOtlpClockSkewMs = 10 * 60 * 1000;
// Decoder scratch kept between requests; after a larger request it is given
// back, so one 4 MiB body does not hold its buffers for good.
inline constexpr size_t kOtlpScratchKeepBytes = 1024 * 1024;
// Nesting of AnyValue arrays/kvlists decoded into a label value. Real
// attributes nest one or two levels; the cap bounds decoder recursion.
inline constexpr unsigned kMaxOtlpAnyValueDepth = 16;
// Buckets per histogram point (explicit bounds + 1). Each bucket is a
// stored series; OTel's default layouts have 16 and exponential ones 160.
inline constexpr size_t kMaxOtlpHistogramBuckets = 256;
// The scales an exponential histogram may have (OTLP: -10..20); outside,
// bucket indices overflow when scales are merged. Refused (bad_bound).
inline constexpr int32_t kMinOtlpExponentialScale = -10;
inline constexpr int32_t kMaxOtlpExponentialScale = 20;
// Quantiles per summary point; each is a stored series.
inline constexpr size_t kMaxOtlpSummaryQuantiles = 64;
// The health figures' window ("last minute"), kept as 12 slots of 5 s so a
// 1,000-service answer sums 12 slots per service, not every point.
inline constexpr int64_t kOtlpHealthWindowMs = 60'000;
inline constexpr int64_t kOtlpHealthSlotMs = 5'000;

// --- History (the time-series store, docs/history.md) ---------------------
// Default memory for everything the store holds (--history-bytes): chunks
// of every tier, open heads, the index and the label strings. 32 MiB keeps
// a device's 1,000 series at a 15 s interval for about two weeks at full
// resolution (0.5-1 byte a sample) and a year of hourly aggregates, next to
// an application on a 512 MiB board.
inline constexpr uint64_t kDefaultHistoryBytes = 32ull * 1024 * 1024;
// The smallest budget accepted: a few pages per tier and room for heads.
inline constexpr uint64_t kMinHistoryBytes = 1ull * 1024 * 1024;
// Default cap on distinct series (--history-max-series): a bound on the
// index apart from bytes, so a sender minting label values cannot fill the
// budget with series that each hold one sample.
inline constexpr size_t kDefaultHistoryMaxSeries = 100'000;
// What a sender can make the store keep per series, as for OTLP input.
inline constexpr size_t kMaxHistoryLabelsPerSeries = 32;
inline constexpr size_t kMaxHistoryLabelNameBytes = 128;
inline constexpr size_t kMaxHistoryLabelValueBytes = 1024;
// Default --history-interval: how often /metrics' series are sampled into
// the store, Prometheus' default scrape interval, so a device's history
// reads like a Prometheus' of it.
inline constexpr uint64_t kDefaultHistoryIntervalMs = 15'000;
// Series the store's upkeep (retention, sealing, forgetting) looks at per
// tick: a few thousand keeps each tick's share well under a millisecond
// and still passes 100,000 series in well under a minute at 1 s ticks.
inline constexpr size_t kHistoryMaintainSeriesPerTick = 4'096;
// Batches of the sample pipeline waiting to be taken into the history
// store: while the reload runs at start (taken in once it is done, so
// reloaded samples stay in order) or while an earlier batch is still being
// taken in (kHistoryIntakeStepSeries a turn; at the defaults a batch is in
// long before the next comes). Past this many the oldest waiting is
// dropped, counted (mmwatch_history_pending_batches_dropped_total).
inline constexpr size_t kHistoryPendingBatches = 8;
// Series of a sampled batch the history keeper takes in per loop turn
// (the intake's budget a turn; a series of the last batch checked for its
// staleness marker counts as one): 100,000 series took 35-49 ms in one
// callback (debugoptimized, docs/benchmarks.md "History keeper"), about
// 0.4 us a series known to the store and about 2 us a new one, so a turn
// holds the loop 0.5-2 ms, and a scrape waiting meanwhile is answered
// between steps. A batch of 100,000 takes about 100 turns.
inline constexpr size_t kHistoryIntakeStepSeries = 1'024;
// Default --history-flush-interval: new data goes to --history-dir in one
// batch this often, so this is what a crash can lose at most. A flash card
// sees one write of a few hundred KB every 5 minutes for 1,000 series at
// 1 s, not a trickle of small ones.
inline constexpr uint64_t kDefaultHistoryFlushMs = 5 * 60 * 1000;
// Default --history-disk-bytes: the segments kept in --history-dir, the
// oldest deleted past it. At about 0.5 byte a sample, 256 MiB holds a
// month of 1,000 series at 15 s several times over.
inline constexpr uint64_t kDefaultHistoryDiskBytes = 256ull * 1024 * 1024;
// Samples (and tier rows) one flush step encodes, about, before the loop
// gets its turn back: at about 30 ns a sample, well under a millisecond
// (docs/benchmarks.md, "History store").
inline constexpr size_t kHistoryFlushStepSamples = 20'000;
// Series one flush step encodes at most, whatever their samples: each
// costs its own iteration, chunk encoding and record entries (about 10 us
// measured), so 20,000 short series in one step took 10-20 ms of CPU
// (docs/benchmarks.md, "History store").
inline constexpr size_t kHistoryFlushStepSeries = 256;
// Bytes written to a segment per loop turn.
inline constexpr size_t kHistoryIoStepBytes = 256 * 1024;
// JSON lines one GET /api/v1/export builds per loop turn (its per-turn
// budget): the export is built across turns, so a scrape or a query
// waiting meanwhile is served between slices. 256 KiB is about 10,000
// samples, a millisecond or two of CPU (docs/benchmarks.md, "History store").
inline constexpr size_t kHistoryExportStepBytes = 256 * 1024;
// Exports built at once; one more is answered 503 (counted, `busy`): each
// may hold up to --max-response-bytes until it is sent.
inline constexpr size_t kHistoryMaxConcurrentExports = 4;
// Bytes read from a segment per loop turn at start: a step applies every
// record it completes, and a 256 KiB read of zstd'd records held several
// (63 ms of CPU measured for 20,000 series); 64 KiB holds about one.
inline constexpr size_t kHistoryReloadStepBytes = 64 * 1024;
// TimeSeries in one remote-write request. Prometheus sends at most
// max_samples_per_send (2,000 by default) per request; a body at the 4 MiB
// cap cannot hold many more than this at ~30 bytes a series anyway.
inline constexpr size_t kMaxRemoteWriteSeriesPerRequest = 50'000;

// --- PromQL -----------------------------------------------------------------
// Samples one query may hold at once (--query-max-samples, Prometheus's
// --query.max-samples): its default, 50 million, is ~800 MB of points, far
// past a device; 5 million is ~80 MB at most and covers an hour of 10,000
// series at 15 s (2.4 M points) twice over.
inline constexpr int64_t kDefaultQueryMaxSamples = 5'000'000;
// Wall time a query may take, slices and waits for its turn included
// (--query-timeout; Prometheus's default, 2 minutes).
inline constexpr int64_t kDefaultQueryTimeoutMs = 120'000;
// Units of work (samples read, steps evaluated, results built) one slice
// of a query may do before the loop gets its turn back. Measured ~30 ns a
// unit on x86-64 (docs/query.md): about 0.5 ms, a few on a small ARM core.
// Halved from 30,000 with the turn (kQueryTurnNs): a scrape under eight
// heavy queries waited ~2 turns of 3 ms (docs/benchmarks.md).
inline constexpr int64_t kDefaultQueryWorkPerSlice = 15'000;
// Wall time one slice may take in the daemon, whatever its units: eight
// queries taking turns find their data out of the caches, where a unit
// costs 3 to 8 times the ~30 ns measured alone (slices of 2 to 9 ms at
// 15,000 units, tools/bench/promql_slices ... eight). The clock is read
// every 512 units, so a slice ends within ~50 us of this.
inline constexpr uint64_t kDefaultQuerySliceNs = 500'000;
// How far back an instant selector looks for a sample (Prometheus's
// --query.lookback-delta default).
inline constexpr int64_t kDefaultQueryLookbackMs = 5 * 60 * 1000;
// Step of a subquery written without one ([1h:]): Prometheus uses its
// global evaluation interval, 1 minute by default.
inline constexpr int64_t kDefaultSubqueryStepMs = 60'000;
// Queries evaluated at once (--query-max-concurrency); one more is refused
// with errorType "unavailable" (HTTP 503) and counted. Each holds up to
// --query-max-samples, so this times that bounds the engine's memory;
// Prometheus's default is 20, for a server.
inline constexpr size_t kDefaultQueryConcurrency = 4;
// A query whose end is within this of now sees the live values (the
// /metrics page as it is at the query, docs/query.md "Live values"): the
// lookback delta, so any instant selector that could see a point stamped
// now asks; older queries never pay for collecting them.
inline constexpr int64_t kLiveQueryWindowMs = kDefaultQueryLookbackMs;
// Busy time a loop turn gives the sliced workers together (the sampler's
// collection, the push, the history store's intake and flushes, queries,
// exports: base::TurnBudget): once a turn has been busy this long, render
// and I/O callbacks included, the workers still to run wait for the next
// turn, which comes at once. Each slice is 0.5-2.5 ms at 100,000 series;
// with the one slice owed past the budget, a turn of sliced work stays
// near 3 + 2 x 2.5 = 8 ms, under the 10 ms a scraper's probe may wait
// (issue 28). Measured (docs/benchmarks.md, issue 28's fourth round):
// without it the push's first slice ran in the turn of the sampler's
// last, 4.1 ms together at 100,000 series.
inline constexpr uint64_t kTurnBudgetNs = 3'000'000;
// Time one loop turn gives the running queries' slices, round robin (at
// least one slice a turn): a slice is ~0.5 ms, so a scrape waits at most
// about this plus one slice however many queries run. This total, not a
// time per query: eight queries at once make more turns, not longer ones.
inline constexpr uint64_t kQueryTurnNs = 1'000'000;
// Points of a query's answer written to its JSON in one loop turn (whole
// series at a time): a range query's answer may be megabytes, about 60 ns
// a point in a release build, so ~0.5 ms a turn.
inline constexpr size_t kAnswerPointsPerSlice = 8'192;
// A written answer is freed from its end this much a loop turn (whichever
// comes first): 10,000 series of 240 points freed at once took 4 ms; a
// part is about 1 MB of points or 1,024 label sets, ~0.2 ms.
inline constexpr size_t kAnswerFreeSeriesPerTurn = 1'024;
inline constexpr size_t kAnswerFreePointsPerTurn = 65'536;
// Points per series a range query may ask for (end - start) / step:
// Prometheus's fixed 11,000.
inline constexpr int64_t kMaxQueryRangePoints = 11'000;

// --- HTTP/2 and gRPC (--otlp-grpc-listen) -----------------------------------
// Default cap on one gRPC message, compressed or not (--otlp-grpc-max-message-bytes):
// the OTLP specification's 4 MiB, what OpenTelemetry exporters batch to.
// The flag's range goes to the 64 MiB the specification allows.
inline constexpr uint64_t kDefaultGrpcMaxMessageBytes = 4 * 1024 * 1024;
inline constexpr uint64_t kMinGrpcMaxMessageBytes = 1024;
inline constexpr uint64_t kMaxGrpcMaxMessageBytes = 64 * 1024 * 1024;
// The gRPC length prefix: a compressed flag and a 4-byte big-endian length.
inline constexpr size_t kGrpcPrefixBytes = 5;
// Streams one connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS).
// An exporter sends one export at a time, or a few; 32 leaves room for a
// collector's concurrency and bounds what one connection can ask of the
// loop and the request budget at once. Past it a stream is refused
// (REFUSED_STREAM, which gRPC clients retry by themselves).
inline constexpr uint32_t kH2MaxConcurrentStreams = 32;
// Decoded header list one request may have (SETTINGS_MAX_HEADER_LIST_SIZE,
// counted as HPACK does: name + value + 32 per field). gRPC libraries send
// well under 1 KiB; 16 KiB is gRPC core's hard limit and leaves room for a
// bearer token. Past it the stream is refused (header_list_too_large),
// however few bytes encoded it: that is the HPACK bomb.
inline constexpr uint32_t kH2MaxHeaderListBytes = 16 * 1024;
// CONTINUATION frames after one HEADERS frame. A 16 KiB header list fits in
// one 16 KiB frame; nghttp2's own cap (Debian's fix for CVE-2024-28182) is 8.
// Past it the connection is refused (continuation_flood, CVE-2024-27316).
inline constexpr uint32_t kH2MaxContinuations = 8;
// Time from the start of a connection to the whole client preface (the
// magic and its SETTINGS). A client sends both at once; one that dribbles
// them holds a slot for nothing (preface_timeout), like kFirstByteTimeoutMs.
inline constexpr uint64_t kH2PrefaceDeadlineMs = 5'000;
// A response the peer's flow-control window has kept from being sent for
// this long is a peer that will not read (stalled_window): the connection
// is refused. The same time a slow reader gets on HTTP/1 (kResponseDeadlineMs).
inline constexpr uint64_t kH2WindowStallMs = kResponseDeadlineMs;
// Floods of frames that cost the server work and carry no request
// (CVE-2019-9512 PING, 9515 SETTINGS, 9517/9518 WINDOW_UPDATE and empty
// DATA, 9513 PRIORITY, CVE-2023-44487 rapid reset): each kind has a token
// bucket per connection, its burst spent by each frame and refilled at its
// rate. An empty bucket refuses the connection (GOAWAY ENHANCE_YOUR_CALM).
// Real clients send a SETTINGS or two, a keep-alive PING every 10 s or
// more, a WINDOW_UPDATE per few responses read, and cancel a stream now and
// then; the bursts are ten times and more what they need.
inline constexpr uint32_t kH2PingBurst = 100;
inline constexpr uint32_t kH2PingsPerSec = 10;
inline constexpr uint32_t kH2SettingsBurst = 20;
inline constexpr uint32_t kH2SettingsPerSec = 1;
inline constexpr uint32_t kH2WindowUpdateBurst = 1000;
inline constexpr uint32_t kH2WindowUpdatesPerSec = 100;
inline constexpr uint32_t kH2EmptyDataBurst = 100;
inline constexpr uint32_t kH2EmptyDataPerSec = 10;
inline constexpr uint32_t kH2PriorityBurst = 100;
inline constexpr uint32_t kH2PrioritiesPerSec = 10;
// Streams that end before their answer (reset by the peer, or by the
// server for a malformed request): below nghttp2's own limit (1000, 33/s),
// so this one, with its name, is the one that fires.
inline constexpr uint32_t kH2ResetBurst = 200;
inline constexpr uint32_t kH2ResetsPerSec = 20;

// `mmwatch top` (src/top/), a client of a running mmwatch. Each request it
// makes gives up after kTopRequestTimeoutMs (connecting after
// kTopConnectTimeoutMs), so a server that went away shows as disconnected
// within seconds and keys keep answering; an answer past
// kTopMaxResponseBytes is refused (a listing that large wants a selector).
inline constexpr uint64_t kTopConnectTimeoutMs = 2'000;
inline constexpr uint64_t kTopRequestTimeoutMs = 5'000;
inline constexpr uint64_t kTopMaxResponseBytes = uint64_t{16} << 20;
// --interval of `mmwatch top`: how often it polls (1s..1h, default 2s).
inline constexpr uint64_t kTopDefaultIntervalMs = 2'000;
// Sparklines cover the last kTopSparkWindowSeconds at one point per
// kTopSparkStepSeconds (the daemon's default --history-interval: the
// history holds no finer points), and a row's are fetched again only
// after kTopSparkStepSeconds: the history has nothing newer before.
inline constexpr uint32_t kTopSparkWindowSeconds = 300;
inline constexpr uint32_t kTopSparkStepSeconds = 15;
// Plain tables (--once, not a terminal) list every row but fetch the rate
// of at most this many (one range query each): a script gets rates for a
// screenful and more, a server with 100,000 series is not asked 100,000 times.
inline constexpr size_t kTopPlainRateRows = 200;

}  // namespace mmwatch::base
