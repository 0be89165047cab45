// `mmwatch top`: the terminal client's entry, which main.cpp calls with
// the arguments after `top`. It draws with ncurses on a terminal, prints
// plain tables otherwise (--once: one; else one per --interval).
#pragma once

#include <string_view>
#include <vector>

namespace mmwatch::top {

// The process' exit status: 0, 1 (the server could not be reached with
// --once), 2 (bad arguments, a terminal that cannot be driven).
int run(const std::vector<std::string_view>& args);

}  // namespace mmwatch::top
