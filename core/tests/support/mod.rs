#![allow(dead_code)]
pub mod child;
pub mod sandbox;
pub mod stub;
