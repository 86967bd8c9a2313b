// Text folding for search and name matching: accent- and case-insensitive comparison of
// Portuguese and English text ("Câmbio" == "cambio", "VARIAÇÃO" == "variacao").
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata::catalog {

// Lower-cases and strips diacritics from Latin letters (Latin-1 Supplement and Latin
// Extended-A; "ß" -> "ss", "æ" -> "ae"); other characters pass through unchanged. Invalid
// UTF-8 bytes are dropped.
std::string FoldText(std::string_view text);

// Splits folded text into words: runs of letters and digits. Underscores, dots, dashes and
// every other punctuation separate words, so "gold.agregado_fluxo_de_caixa" gives
// {gold, agregado, fluxo, de, caixa}.
std::vector<std::string> Words(std::string_view text);

// Words() minus Portuguese and English stop words ("de", "da", "do", "the", "of", ...), which
// carry no meaning on their own. Keeps the stop words if nothing else is left.
std::vector<std::string> SearchTerms(std::string_view text);

}  // namespace strata::catalog
