// Hazards in one line for exact comparisons: "kind schema.table thread opened-pos ->
// needed-pos|later" per hazard, "; " between them (xa_prepared: the xid after the dot).
#pragma once

#include <string>
#include <vector>

#include "binlogkit/events/hazards.hpp"

namespace bk_test {

inline std::string hazard_summary(const std::vector<binlogkit::hazard>& hazards) {
  std::string out;
  for (const auto& h : hazards) {
    if (!out.empty()) out += "; ";
    out += std::string(binlogkit::to_string(h.kind)) + " " + h.schema + "." + h.table + h.xid + " " +
           std::to_string(h.pseudo_thread_id) + " " + std::to_string(h.opened.pos) + " -> " +
           (h.needed_by ? std::to_string(h.needed_by->pos) : std::string("later"));
  }
  return out;
}

}  // namespace bk_test
