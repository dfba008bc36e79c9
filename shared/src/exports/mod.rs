//! Large exports, written to S3 as they are produced.

mod s3;

pub use s3::S3Exports;
