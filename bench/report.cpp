#include "bench/report.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <iomanip>
#include <ostream>
#include <stdexcept>

namespace bench {

report make_report(const thread_stats& merged, double duration_s) {
  report r;
  r.requests = merged.requests;
  r.duration_s = duration_s;
  r.rps = duration_s > 0 ? static_cast<double>(merged.requests) / duration_s : 0;
  const histogram& h = merged.latency_us;
  r.p50_us = h.percentile(50);
  r.p90_us = h.percentile(90);
  r.p99_us = h.percentile(99);
  r.p999_us = h.percentile(99.9);
  r.max_us = h.max();
  r.by_class = merged.by_class;
  r.non2xx = merged.non2xx;
  r.errors = merged.errors;
  r.reconnects = merged.reconnects;
  r.first_failure = merged.first_failure;
  return r;
}

void print_text(std::ostream& out, const options& o, const report& r) {
  out << "# progress-bench profile=" << to_string(o.profile) << " url=http://" << o.host << ':' << o.port
      << (o.path.empty() ? "" : o.path) << " connections=" << o.connections << " threads=" << o.threads
      << " duration_s=" << static_cast<double>(o.duration.count()) / 1000
      << " warmup_s=" << static_cast<double>(o.warmup.count()) / 1000 << '\n';
  out << std::fixed << std::setprecision(3) << "requests=" << r.requests << " duration_s=" << r.duration_s
      << std::setprecision(0) << " rps=" << r.rps << " p50_us=" << r.p50_us << " p90_us=" << r.p90_us
      << " p99_us=" << r.p99_us << " p999_us=" << r.p999_us << " max_us=" << r.max_us
      << " non2xx=" << r.non2xx << " errors=" << r.errors << '\n';
  out << "status_1xx=" << r.by_class[1] << " status_2xx=" << r.by_class[2] << " status_3xx=" << r.by_class[3]
      << " status_4xx=" << r.by_class[4] << " status_5xx=" << r.by_class[5] << " reconnects=" << r.reconnects
      << '\n';
}

void write_json(const std::string& path, const options& o, const report& r) {
  boost::json::object j;
  j["profile"] = to_string(o.profile);
  j["url"] = "http://" + o.host + ":" + o.port + o.path;
  j["connections"] = o.connections;
  j["threads"] = o.threads;
  j["warmup_s"] = static_cast<double>(o.warmup.count()) / 1000;
  j["requests"] = r.requests;
  j["duration_s"] = r.duration_s;
  j["rps"] = r.rps;
  j["p50_us"] = r.p50_us;
  j["p90_us"] = r.p90_us;
  j["p99_us"] = r.p99_us;
  j["p999_us"] = r.p999_us;
  j["max_us"] = r.max_us;
  j["status_1xx"] = r.by_class[1];
  j["status_2xx"] = r.by_class[2];
  j["status_3xx"] = r.by_class[3];
  j["status_4xx"] = r.by_class[4];
  j["status_5xx"] = r.by_class[5];
  j["non2xx"] = r.non2xx;
  j["errors"] = r.errors;
  j["reconnects"] = r.reconnects;
  if (!r.first_failure.empty()) j["first_failure"] = r.first_failure;

  std::ofstream out(path, std::ios::trunc);
  out << boost::json::serialize(j) << '\n';
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace bench
