import { arnOf } from '../domain/ids.js';
import { parseInput } from '../domain/validation.js';
import { configurationItem, configurationOut, owned } from './format.js';
import { type Route, singleQuery } from './route.js';
import { ConfigurationLabel, CreateConfigurationInput, ListConfigurationsQuery } from './shapes.js';

/** Run configurations (docs/configurations.md). */
export const configurationRoutes: Route[] = [
  {
    operation: 'CreateConfiguration', method: 'POST', path: '/configuration', status: 201,
    async handler(req, s) {
      const c = await s.configurations.create(req.account, parseInput(CreateConfigurationInput, req.body), req.body);
      return { ...configurationOut(s.config, c), arn: arnOf(owned(s.config, c), 'configuration', c.name) };
    },
  },
  {
    operation: 'GetConfiguration', method: 'GET', path: '/configuration/:name', status: 200,
    async handler(req, s) {
      return configurationOut(s.config, await s.configurations.get(req.account, parseInput(ConfigurationLabel, req.params).name));
    },
  },
  {
    operation: 'ListConfigurations', method: 'GET', path: '/configuration', status: 200,
    async handler(req, s) {
      const q = parseInput(ListConfigurationsQuery, singleQuery(req.query, ['maxResults', 'startingToken']));
      const page = await s.tokens.list('ListConfigurations', { account: req.account }, { startingToken: q.startingToken, limit: q.maxResults ?? 10 },
        (p) => s.configurations.list(req.account, p), (c) => Number(c.id));
      return { items: page.items.map((c) => configurationItem(s.config, c)), nextToken: page.nextToken };
    },
  },
  {
    operation: 'DeleteConfiguration', method: 'DELETE', path: '/configuration/:name', status: 202,
    async handler(req, s) {
      await s.configurations.delete(req.account, parseInput(ConfigurationLabel, req.params).name);
    },
  },
];
