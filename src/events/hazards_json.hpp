// The JSON form of hazards (hazards.hpp), one writer for every command that prints them:
// `hazards --json` and triage's "hazards" array share its shape.
//
//   {"kind", "schema", "table", ["xid" for xa_prepared], "pseudo_thread_id",
//    "opened": {"file", "pos", "gtid"}, "needed_by": {"file", "pos", "gtid"} | null, "advice"}
//
// Header-only: the events layer itself does not link nlohmann_json; the layers that write
// JSON (triage, cli) do, and include this header. Errors: none. Threads: no state.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "binlogkit/events/hazards.hpp"

namespace binlogkit::detail {

inline nlohmann::ordered_json hazard_place_json(const hazard_place& p) {
  nlohmann::ordered_json j;
  j["file"] = p.file;
  j["pos"] = p.pos;
  j["gtid"] = p.gtid;
  return j;
}

inline nlohmann::ordered_json hazard_json(const hazard& h) {
  nlohmann::ordered_json x;
  x["kind"] = std::string(to_string(h.kind));
  x["schema"] = h.schema;
  x["table"] = h.table;
  if (h.kind == hazard_kind::xa_prepared) x["xid"] = h.xid;
  x["pseudo_thread_id"] = h.pseudo_thread_id;
  x["opened"] = hazard_place_json(h.opened);
  x["needed_by"] = h.needed_by ? hazard_place_json(*h.needed_by) : nlohmann::ordered_json(nullptr);
  x["advice"] = h.advice;
  return x;
}

// An array of hazard_json objects, in the given order.
inline nlohmann::ordered_json hazards_json(const std::vector<hazard>& hazards) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& h : hazards) a.push_back(hazard_json(h));
  return a;
}

}  // namespace binlogkit::detail
