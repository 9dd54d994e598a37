#![allow(dead_code)]
pub mod stub;
