#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) { return strata::cli::RunCli(argc, argv, std::cout, std::cerr); }
