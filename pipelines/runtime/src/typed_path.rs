//! `typed_path!`: a path typed by what it holds (`Input<Csv>`,
//! `ParamWriter<i64>`), as the runtime hands a step function its files.
//! Each handle gets its constructor, `path()`, `AsRef<Path>`, `FromStr`
//! (clap parses it from the command line), `Clone` and `PartialEq`, none of
//! which asks anything of `T`; its `Debug` and methods are its own.

macro_rules! typed_path {
    ($(#[$doc:meta])* $name:ident, new: $new_doc:literal, path: $path_doc:literal) => {
        $(#[$doc])*
        pub struct $name<T> {
            path: std::path::PathBuf,
            kind: std::marker::PhantomData<fn() -> T>,
        }

        impl<T> $name<T> {
            #[doc = $new_doc]
            pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
                Self {
                    path: path.into(),
                    kind: std::marker::PhantomData,
                }
            }

            #[doc = $path_doc]
            pub fn path(&self) -> &std::path::Path {
                &self.path
            }
        }

        impl<T> AsRef<std::path::Path> for $name<T> {
            fn as_ref(&self) -> &std::path::Path {
                &self.path
            }
        }

        impl<T> std::str::FromStr for $name<T> {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, std::convert::Infallible> {
                Ok(Self::new(s))
            }
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                Self::new(self.path.clone())
            }
        }

        impl<T> PartialEq for $name<T> {
            fn eq(&self, other: &Self) -> bool {
                self.path == other.path
            }
        }
    };
}
