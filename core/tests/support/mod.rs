#![allow(dead_code)]
pub mod child;
pub mod databases;
pub mod sandbox;
pub mod stub;
pub mod power;
pub mod power_cut;
pub mod readings;
