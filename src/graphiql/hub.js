// Starts GraphiQL against this hub's /graphql. Served by the hub itself (src/graphiql.rs),
// like React and GraphiQL, so the page works without internet.
(function () {
  'use strict';
  var defaultQuery = [
    '# Customer Hub (demo password: "demo")',
    '#',
    '# 1. Run the login below; copy the token.',
    '# 2. In "Headers" below the editor write',
    '#    {"Authorization": "Bearer <token>"}',
    '#    (an API key: "Bearer hubk_…").',
    '# 3. Then ask, for example:',
    '#    { customers(first: 5) {',
    '#        edges { node { id name } } } }',
    '',
    'mutation Login {',
    '  login(username: "admin", password: "demo") {',
    '    token expiresAt staff { username role }',
    '  }',
    '}',
    '',
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.origin).toString() });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
    })
  );
})();
