//! HTTP rules of the GraphQL-over-HTTP surface.
