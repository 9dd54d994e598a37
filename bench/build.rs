//! Link the release libdargah.so that bench/run.sh built: `DARGAH_LIB_DIR`.
fn main() {
    println!("cargo:rerun-if-env-changed=DARGAH_LIB_DIR");
    if let Ok(dir) = std::env::var("DARGAH_LIB_DIR") {
        println!("cargo:rustc-link-search=native={dir}");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
