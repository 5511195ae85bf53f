// std::visit over several lambdas: std::visit(detail::overloaded{[](const a&) {...},
// [](const b&) {...}}, v).
#pragma once

namespace binlogkit::detail {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace binlogkit::detail
