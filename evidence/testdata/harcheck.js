// Validates a HAR file against the HAR 1.2 schema with the npm package
// har-validator (installed by .ci/run into .ci/node_modules).
// Usage: node harcheck.js MODULE_DIR FILE.har
const path = require('path');
const fs = require('fs');
const validator = require(path.join(process.argv[2], 'har-validator'));
const har = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
validator.har(har)
  .then(() => {
    console.log('valid HAR ' + har.log.version + ', ' + har.log.entries.length + ' entries');
  })
  .catch((e) => {
    console.error('invalid HAR: ' + JSON.stringify(e.errors || e.message, null, 2));
    process.exit(1);
  });
