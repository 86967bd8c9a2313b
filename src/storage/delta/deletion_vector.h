// Deletion vectors (PROTOCOL.md "Deletion Vectors"): Z85 coding, the RoaringBitmapArray
// serialization, and loading the deleted row indexes of a file from its descriptor.
//
// Contract:
//  - Storage types: "u" (file relative to the table named by a Z85-encoded UUID with optional
//    random prefix directory), "i" (inline Z85 bitmap), "p" (absolute path URI). Others are
//    Unsupported.
//  - A DV file starts with version byte 1; at `offset` it holds a 4-byte big-endian size, the
//    bitmap, and a 4-byte big-endian CRC-32 which is verified. Bad magic, sizes, CRC or a
//    cardinality different from the descriptor's are Corruption naming the file.
//  - Row indexes come back sorted ascending, without duplicates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "storage/delta/actions.h"
#include "storage/object_store.h"

namespace strata::delta {

// Z85 (ZeroMQ base-85). Decode needs a length that is a multiple of 5; Encode pads nothing and
// needs a multiple of 4 bytes.
Result<std::string> Z85Decode(std::string_view text);
std::string Z85Encode(std::string_view bytes);

// The RoaringBitmapArray "portable" format with its magic number 1681511377.
Result<std::vector<uint64_t>> ParseRoaringBitmapArray(std::string_view bytes);
// The inverse, for writers: `rows` must be sorted ascending without duplicates.
std::string SerializeRoaringBitmapArray(const std::vector<uint64_t>& rows);

// The relative path ("ab/deletion_vector_<uuid>.bin") of a "u" descriptor.
Result<std::string> DeletionVectorRelativePath(const DeletionVectorDescriptor& dv);

// Deleted row indexes of one file.
Result<std::vector<uint64_t>> LoadDeletionVector(storage::ObjectStore& store,
                                                 std::string_view table_root,
                                                 const DeletionVectorDescriptor& dv);

}  // namespace strata::delta
