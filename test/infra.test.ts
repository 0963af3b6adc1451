// The Bicep compiler cannot run here, so the invariants of infra/ are checked on the text: a small reader turns
// resource bodies into nested objects, and every check also runs against a deliberately broken copy of the
// files, to prove it can fail.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

type Files = Map<string, string>;

function loadFiles(): Files {
  const files: Files = new Map();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(relative(ROOT, full).split('\\').join('/'), readFileSync(full, 'utf8'));
    }
  };
  walk(join(ROOT, 'infra'));
  for (const f of ['azure.yaml', 'docs/DEPLOY.md']) {
    if (existsSync(join(ROOT, f))) files.set(f, readFileSync(join(ROOT, f), 'utf8'));
  }
  return files;
}

// ---- a reader for the Bicep subset these files use --------------------------------------------------

type BValue =
  | { kind: 'object'; entries: Map<string, BValue> }
  | { kind: 'array'; items: BValue[] }
  | { kind: 'raw'; text: string };

/** Index just past the string literal that opens at `start`, interpolations (with nested strings) included. */
function endOfString(s: string, start: number): number {
  let i = start + 1;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      i += 2;
    } else if (c === "'") {
      return i + 1;
    } else if (c === '$' && s[i + 1] === '{') {
      i += 2;
      let depth = 0;
      while (i < s.length) {
        const d = s[i];
        if (d === "'") {
          i = endOfString(s, i);
          continue;
        }
        i++;
        if (d === '{') depth++;
        else if (d === '}' && depth-- === 0) break;
      }
    } else {
      i++;
    }
  }
  return i;
}

/** Removes // and /* *\/ comments outside strings, so commented-out text cannot satisfy a check. */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

class Reader {
  constructor(
    private readonly s: string,
    public i: number,
  ) {}

  private skip(newlines: boolean): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && (c === '\n' || c === ','))) this.i++;
      else break;
    }
  }

  private str(): string {
    const start = this.i;
    this.i = endOfString(this.s, start);
    return this.s.slice(start, this.i);
  }

  value(): BValue {
    this.skip(false);
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    return { kind: 'raw', text: this.raw() };
  }

  /** A scalar or call: up to the end of the line, a comma or a closing bracket at depth 0. */
  private raw(): string {
    const start = this.i;
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === "'") {
        this.str();
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (c === '\n' || c === ',')) break;
      this.i++;
    }
    return this.s.slice(start, this.i).trim();
  }

  object(): BValue {
    const entries = new Map<string, BValue>();
    this.i++;
    for (;;) {
      this.skip(true);
      if (this.i >= this.s.length) throw new Error('unterminated object');
      if (this.s[this.i] === '}') {
        this.i++;
        return { kind: 'object', entries };
      }
      let key: string;
      if (this.s[this.i] === "'") key = this.str().slice(1, -1);
      else {
        const m = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.i));
        if (!m) throw new Error(`unexpected ${JSON.stringify(this.s.slice(this.i, this.i + 30))}`);
        key = m[0];
        this.i += key.length;
      }
      this.skip(false);
      if (this.s[this.i] !== ':') throw new Error(`expected ':' after ${key}`);
      this.i++;
      entries.set(key, this.value());
    }
  }

  private array(): BValue {
    const items: BValue[] = [];
    this.i++;
    for (;;) {
      this.skip(true);
      if (this.i >= this.s.length) throw new Error('unterminated array');
      if (this.s[this.i] === ']') {
        this.i++;
        return { kind: 'array', items };
      }
      items.push(this.value());
    }
  }
}

interface BicepResource {
  symbol: string;
  type: string;
  existing: boolean;
  body: BValue;
}

interface BicepFile {
  params: Map<string, { type: string; hasDefault: boolean }>;
  resources: BicepResource[];
  modules: Array<{ symbol: string; path: string; body: BValue }>;
  vars: Map<string, BValue>;
  outputs: Map<string, string>;
  targetScope?: string;
}

function parseBicep(original: string): BicepFile {
  const text = stripComments(original);
  const file: BicepFile = {
    params: new Map(),
    resources: [],
    modules: [],
    vars: new Map(),
    outputs: new Map(),
  };
  file.targetScope = /^targetScope\s*=\s*'(\w+)'/m.exec(text)?.[1];
  for (const m of text.matchAll(/^param\s+(\w+)\s+(\w+)(\s*=)?/gm)) {
    file.params.set(m[1], { type: m[2], hasDefault: !!m[3] });
  }
  const bodyAt = (index: number): BValue => new Reader(text, index).object();
  for (const m of text.matchAll(
    /^resource\s+(\w+)\s+'([^'@]+)@[^']+'\s+(existing\s+)?=\s*(?:if\s*\([^)]*\)\s*)?\{/gm,
  )) {
    file.resources.push({
      symbol: m[1],
      type: m[2],
      existing: !!m[3],
      body: bodyAt((m.index ?? 0) + m[0].length - 1),
    });
  }
  for (const m of text.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=\s*\{/gm)) {
    file.modules.push({ symbol: m[1], path: m[2], body: bodyAt((m.index ?? 0) + m[0].length - 1) });
  }
  for (const m of text.matchAll(/^var\s+(\w+)\s*=\s*/gm)) {
    file.vars.set(m[1], new Reader(text, (m.index ?? 0) + m[0].length).value());
  }
  for (const m of text.matchAll(/^output\s+(\w+)\s+\w+\s*=\s*(.+)$/gm)) file.outputs.set(m[1], m[2].trim());
  return file;
}

function get(v: BValue | undefined, path: string): BValue | undefined {
  let cur = v;
  for (const key of path.split('.')) {
    if (cur?.kind !== 'object') return undefined;
    cur = cur.entries.get(key);
  }
  return cur;
}

/** The raw text at a path ('' when absent or not a scalar). */
function raw(v: BValue | undefined, path: string): string {
  const found = get(v, path);
  return found?.kind === 'raw' ? found.text : '';
}

function keys(v: BValue | undefined): string[] {
  return v?.kind === 'object' ? [...v.entries.keys()] : [];
}

// ---- the invariants ---------------------------------------------------------------------------------

interface Context {
  files: Files;
  bicep(path: string): BicepFile;
  resourcesOfType(type: string): Array<BicepResource & { file: string }>;
  appSettingKeys(): string[];
}

function context(files: Files): Context {
  const cache = new Map<string, BicepFile>();
  const bicep = (path: string): BicepFile => {
    const text = files.get(path);
    if (text === undefined) throw new Error(`missing ${path}`);
    let parsed = cache.get(path);
    if (!parsed) {
      parsed = parseBicep(text);
      cache.set(path, parsed);
    }
    return parsed;
  };
  const bicepPaths = [...files.keys()].filter((p) => p.endsWith('.bicep'));
  return {
    files,
    bicep,
    resourcesOfType: (type) =>
      bicepPaths.flatMap((p) =>
        bicep(p)
          .resources.filter((r) => r.type.toLowerCase() === type.toLowerCase() && !r.existing)
          .map((r) => ({ ...r, file: p })),
      ),
    appSettingKeys: () => {
      const out: string[] = [];
      for (const p of bicepPaths) {
        const f = bicep(p);
        for (const r of f.resources) {
          if (r.existing) continue;
          if (r.type === 'Microsoft.Web/sites/config') {
            // properties is a literal object or union(...) of vars; collect the keys of either.
            const props = get(r.body, 'properties');
            out.push(...keys(props));
            const text = props?.kind === 'raw' ? props.text : '';
            for (const [name, value] of f.vars) {
              if (new RegExp(`\\b${name}\\b`).test(text)) {
                out.push(...keys(value));
                // Conditional objects: `cond ? {} : { KEY: value }`.
                if (value.kind === 'raw')
                  out.push(...[...value.text.matchAll(/\{\s*(\w+)\s*:/g)].map((m) => m[1]));
              }
            }
          }
          if (r.type === 'Microsoft.Web/sites') {
            const list = get(r.body, 'properties.siteConfig.appSettings');
            if (list?.kind === 'array') {
              for (const item of list.items) out.push(raw(item, 'name').replace(/'/g, ''));
            }
          }
        }
      }
      return out;
    },
  };
}

const ROLE = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
};

// Settings that Flex Consumption rejects or ignores (runtime, scale and package live in functionAppConfig).
const FLEX_INCOMPATIBLE = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
];

interface Check {
  name: string;
  run(ctx: Context): string[];
  /** Edits that must each make the check fail: [file, text to find, replacement]. */
  breaks: Array<[string, string | RegExp, string]>;
}

const expect1 = (problems: string[], ok: boolean, message: string): void => {
  if (!ok) problems.push(message);
};

function single(ctx: Context, type: string, problems: string[]): BicepResource | undefined {
  const found = ctx.resourcesOfType(type);
  if (found.length !== 1) problems.push(`expected one ${type}, found ${found.length}`);
  return found[0];
}

const checks: Check[] = [
  {
    name: 'azure.yaml provisions infra/main.bicep and deploys service api as a function app',
    run: (ctx) => {
      const p: string[] = [];
      const yaml = ctx.files.get('azure.yaml') ?? '';
      expect1(
        p,
        /^infra:\s*\n(?:[ \t]+.*\n)*?[ \t]+provider:\s*bicep\s*$/m.test(yaml),
        'infra.provider is not bicep',
      );
      expect1(
        p,
        /^infra:\s*\n(?:[ \t]+.*\n)*?[ \t]+path:\s*infra\s*$/m.test(yaml),
        'infra.path is not infra',
      );
      expect1(
        p,
        /^infra:\s*\n(?:[ \t]+.*\n)*?[ \t]+module:\s*main\s*$/m.test(yaml),
        'infra.module is not main',
      );
      const api = /^services:\s*\n[ \t]+api:\s*\n((?:[ \t]{4,}.*\n?)*)/m.exec(yaml)?.[1] ?? '';
      expect1(p, /^\s+host:\s*function\s*$/m.test(api), 'service api is not host: function');
      expect1(p, /^\s+language:\s*(ts|typescript|js)\s*$/m.test(api), 'service api is not a Node project');
      expect1(p, /^\s+project:\s*\.\/?\s*$/m.test(api), 'service api is not the repository root');
      return p;
    },
    breaks: [
      ['azure.yaml', 'host: function', 'host: appservice'],
      ['azure.yaml', 'provider: bicep', 'provider: terraform'],
    ],
  },
  {
    name: 'the function app carries the azd-service-name tag of that service',
    run: (ctx) => {
      const p: string[] = [];
      const site = single(ctx, 'Microsoft.Web/sites', p);
      const tags = raw(site?.body, 'tags');
      expect1(p, /'azd-service-name'\s*:\s*'api'/.test(tags), `site tags do not name service api: ${tags}`);
      return p;
    },
    breaks: [['infra/modules/function-app.bicep', "'azd-service-name': 'api'", "'azd-service-name': 'web'"]],
  },
  {
    name: 'main.bicep targets the subscription and its modules exist',
    run: (ctx) => {
      const p: string[] = [];
      const main = ctx.bicep('infra/main.bicep');
      expect1(p, main.targetScope === 'subscription', `targetScope is ${main.targetScope}`);
      expect1(p, main.modules.length >= 5, 'main.bicep is not split into modules');
      for (const m of main.modules) {
        const target = join('infra', m.path).split('\\').join('/');
        expect1(p, ctx.files.has(target), `module ${m.symbol} points at missing ${target}`);
      }
      return p;
    },
    breaks: [
      ['infra/main.bicep', "'./modules/storage.bicep'", "'./modules/storage-account.bicep'"],
      ['infra/main.bicep', "targetScope = 'subscription'", "targetScope = 'resourceGroup'"],
    ],
  },
  {
    name: 'parameters: name prefix, location and the Entra ID app, all bound in main.parameters.json',
    run: (ctx) => {
      const p: string[] = [];
      const main = ctx.bicep('infra/main.bicep');
      for (const name of ['namePrefix', 'location', 'environmentName', 'authClientId', 'authTenantId']) {
        expect1(p, main.params.has(name), `main.bicep has no param ${name}`);
      }
      const json = JSON.parse(ctx.files.get('infra/main.parameters.json') ?? '{}') as {
        parameters?: Record<string, { value?: unknown }>;
      };
      const bound = json.parameters ?? {};
      for (const [name, info] of main.params) {
        if (!info.hasDefault)
          expect1(p, name in bound, `required param ${name} is not bound to an azd variable`);
      }
      for (const name of Object.keys(bound)) {
        expect1(p, main.params.has(name), `main.parameters.json binds unknown param ${name}`);
      }
      expect1(
        p,
        /\$\{AUTH_CLIENT_ID\}/.test(JSON.stringify(bound.authClientId ?? '')),
        'authClientId not from AUTH_CLIENT_ID',
      );
      return p;
    },
    breaks: [
      ['infra/main.parameters.json', /\s*"authClientId": \{ "value": "\$\{AUTH_CLIENT_ID\}" \},/, ''],
      ['infra/main.parameters.json', '"namePrefix"', '"prefix"'],
      ['infra/main.bicep', 'param namePrefix string', 'param prefixOfNames string'],
    ],
  },
  {
    name: 'the plan is Flex Consumption (FC1) on Linux',
    run: (ctx) => {
      const p: string[] = [];
      const plan = single(ctx, 'Microsoft.Web/serverfarms', p);
      expect1(p, raw(plan?.body, 'sku.name') === "'FC1'", 'plan sku is not FC1');
      expect1(p, raw(plan?.body, 'sku.tier') === "'FlexConsumption'", 'plan tier is not FlexConsumption');
      expect1(p, raw(plan?.body, 'properties.reserved') === 'true', 'plan is not Linux (reserved)');
      return p;
    },
    breaks: [
      ['infra/modules/function-app.bicep', "name: 'FC1'", "name: 'Y1'"],
      ['infra/modules/function-app.bicep', "tier: 'FlexConsumption'", "tier: 'Dynamic'"],
    ],
  },
  {
    name: 'the site: Linux function app, system-assigned identity, HTTPS only, TLS 1.2, FTP off',
    run: (ctx) => {
      const p: string[] = [];
      const site = single(ctx, 'Microsoft.Web/sites', p);
      expect1(p, raw(site?.body, 'kind') === "'functionapp,linux'", 'site kind is not functionapp,linux');
      expect1(p, raw(site?.body, 'identity.type') === "'SystemAssigned'", 'identity is not SystemAssigned');
      expect1(p, raw(site?.body, 'properties.httpsOnly') === 'true', 'httpsOnly is not true');
      expect1(
        p,
        raw(site?.body, 'properties.siteConfig.minTlsVersion') === "'1.2'",
        'minTlsVersion is not 1.2',
      );
      expect1(
        p,
        raw(site?.body, 'properties.siteConfig.ftpsState') === "'Disabled'",
        'ftpsState is not Disabled',
      );
      const policies = ctx.resourcesOfType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
      const ftp = policies.find((r) => raw(r.body, 'name') === "'ftp'");
      expect1(
        p,
        raw(ftp?.body, 'properties.allow') === 'false',
        'FTP basic publishing credentials are allowed',
      );
      return p;
    },
    breaks: [
      ['infra/modules/function-app.bicep', 'httpsOnly: true', 'httpsOnly: false'],
      ['infra/modules/function-app.bicep', "ftpsState: 'Disabled'", "ftpsState: 'FtpsOnly'"],
      ['infra/modules/function-app.bicep', "minTlsVersion: '1.2'", "minTlsVersion: '1.0'"],
      ['infra/modules/function-app.bicep', "type: 'SystemAssigned'\n", "type: 'None'\n"],
      [
        'infra/modules/function-app.bicep',
        /name: 'ftp'\n(\s+)properties: \{\n\s+allow: false/,
        "name: 'ftp'\n$1properties: {\n allow: true",
      ],
    ],
  },
  {
    name: 'functionAppConfig: Node 22 and an identity-authenticated deployment container',
    run: (ctx) => {
      const p: string[] = [];
      const site = single(ctx, 'Microsoft.Web/sites', p);
      const cfg = get(site?.body, 'properties.functionAppConfig');
      expect1(p, raw(cfg, 'runtime.name') === "'node'", 'runtime is not node');
      expect1(p, raw(cfg, 'runtime.version') === "'22'", 'runtime version is not 22');
      expect1(
        p,
        raw(cfg, 'deployment.storage.type') === "'blobContainer'",
        'deployment storage is not a blob container',
      );
      expect1(
        p,
        raw(cfg, 'deployment.storage.authentication.type') === "'SystemAssignedIdentity'",
        'deployment storage is not reached with the system-assigned identity',
      );
      expect1(
        p,
        get(cfg, 'scaleAndConcurrency.maximumInstanceCount') !== undefined,
        'no scaleAndConcurrency',
      );
      return p;
    },
    breaks: [
      ['infra/modules/function-app.bicep', "version: '22'", "version: '20'"],
      [
        'infra/modules/function-app.bicep',
        "type: 'SystemAssignedIdentity'",
        "type: 'StorageAccountConnectionString'",
      ],
    ],
  },
  {
    name: 'storage: TLS 1.2, HTTPS only, no public blobs, no shared keys',
    run: (ctx) => {
      const p: string[] = [];
      const sa = single(ctx, 'Microsoft.Storage/storageAccounts', p);
      expect1(
        p,
        raw(sa?.body, 'properties.minimumTlsVersion') === "'TLS1_2'",
        'minimumTlsVersion is not TLS1_2',
      );
      expect1(p, raw(sa?.body, 'properties.supportsHttpsTrafficOnly') === 'true', 'HTTP traffic allowed');
      expect1(p, raw(sa?.body, 'properties.allowBlobPublicAccess') === 'false', 'public blob access allowed');
      expect1(p, raw(sa?.body, 'properties.allowSharedKeyAccess') === 'false', 'shared key access allowed');
      return p;
    },
    breaks: [
      ['infra/modules/storage.bicep', 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true'],
      ['infra/modules/storage.bicep', "minimumTlsVersion: 'TLS1_2'", "minimumTlsVersion: 'TLS1_0'"],
    ],
  },
  {
    name: 'Key Vault: RBAC authorization, soft delete, purge protection, no access policies',
    run: (ctx) => {
      const p: string[] = [];
      const kv = single(ctx, 'Microsoft.KeyVault/vaults', p);
      expect1(p, raw(kv?.body, 'properties.enableRbacAuthorization') === 'true', 'RBAC authorization is off');
      expect1(p, raw(kv?.body, 'properties.enableSoftDelete') === 'true', 'soft delete is off');
      expect1(p, raw(kv?.body, 'properties.enablePurgeProtection') === 'true', 'purge protection is off');
      expect1(p, get(kv?.body, 'properties.accessPolicies') === undefined, 'access policies are declared');
      expect1(
        p,
        ctx.resourcesOfType('Microsoft.KeyVault/vaults/accessPolicies').length === 0,
        'access policies exist',
      );
      return p;
    },
    breaks: [
      ['infra/modules/keyvault.bicep', 'enablePurgeProtection: true', 'enablePurgeProtection: false'],
      ['infra/modules/keyvault.bicep', 'enableRbacAuthorization: true', 'enableRbacAuthorization: false'],
      ['infra/modules/keyvault.bicep', 'enableSoftDelete: true', 'enableSoftDelete: false'],
    ],
  },
  {
    name: 'role assignments: exactly Blob Data Owner, Table and Queue Data Contributor on the account, Secrets Officer on the vault',
    run: (ctx) => {
      const p: string[] = [];
      const assignments = ctx.resourcesOfType('Microsoft.Authorization/roleAssignments');
      const expected = new Map([
        [ROLE.storageBlobDataOwner, 'Microsoft.Storage/storageAccounts'],
        [ROLE.storageTableDataContributor, 'Microsoft.Storage/storageAccounts'],
        [ROLE.storageQueueDataContributor, 'Microsoft.Storage/storageAccounts'],
        [ROLE.keyVaultSecretsOfficer, 'Microsoft.KeyVault/vaults'],
      ]);
      const seen: string[] = [];
      for (const a of assignments) {
        const roleText = raw(a.body, 'properties.roleDefinitionId');
        const role = /'([0-9a-f-]{36})'/.exec(roleText)?.[1] ?? roleText;
        seen.push(role);
        const scopeSymbol = raw(a.body, 'scope');
        const scopeType = ctx.bicep(a.file).resources.find((r) => r.symbol === scopeSymbol)?.type;
        const want = expected.get(role);
        if (!want) p.push(`unexpected role ${role} (${a.symbol})`);
        else
          expect1(
            p,
            scopeType === want,
            `${a.symbol} is scoped to ${scopeSymbol} (${scopeType}), not a ${want}`,
          );
        expect1(
          p,
          raw(a.body, 'properties.principalType') === "'ServicePrincipal'",
          `${a.symbol} is not for a service principal`,
        );
        expect1(
          p,
          raw(a.body, 'properties.principalId') === 'principalId',
          `${a.symbol} is not for the app identity`,
        );
      }
      expect1(
        p,
        seen.length === expected.size && [...expected.keys()].every((r) => seen.includes(r)),
        `roles granted: ${seen.join(', ')}`,
      );
      return p;
    },
    breaks: [
      [
        'infra/modules/role-assignments.bicep',
        "roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
        "roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c'",
      ],
      ['infra/modules/role-assignments.bicep', 'scope: vault', 'scope: storage'],
      ['infra/modules/role-assignments.bicep', /\n\/\/ Key Vault Secrets Officer[\s\S]*$/, '\n'],
      ['infra/modules/role-assignments.bicep', /\n\/\/ Storage Queue Data Contributor[\s\S]*?\n}\n/, '\n'],
      ['infra/modules/role-assignments.bicep', "principalType: 'ServicePrincipal'", "principalType: 'Group'"],
    ],
  },
  {
    name: 'the roles go to the function app identity',
    run: (ctx) => {
      const p: string[] = [];
      const main = ctx.bicep('infra/main.bicep');
      const rbac = main.modules.find((m) => m.path.endsWith('role-assignments.bicep'));
      const app = main.modules.find((m) => m.path.endsWith('function-app.bicep'));
      expect1(
        p,
        raw(rbac?.body, 'params.principalId') === `${app?.symbol}.outputs.principalId`,
        'role assignments are not for the function app output principalId',
      );
      expect1(
        p,
        ctx.bicep('infra/modules/function-app.bicep').outputs.get('principalId') ===
          'site.identity.principalId',
        'function-app.bicep does not output the site identity',
      );
      return p;
    },
    breaks: [
      [
        'infra/main.bicep',
        'principalId: functionApp.outputs.principalId',
        'principalId: deployer().objectId',
      ],
    ],
  },
  {
    name: 'Application Insights sits on a Log Analytics workspace',
    run: (ctx) => {
      const p: string[] = [];
      const ws = single(ctx, 'Microsoft.OperationalInsights/workspaces', p);
      const ai = single(ctx, 'Microsoft.Insights/components', p);
      expect1(
        p,
        raw(ai?.body, 'properties.WorkspaceResourceId') === `${ws?.symbol}.id`,
        'App Insights has no workspace',
      );
      return p;
    },
    breaks: [
      ['infra/modules/monitoring.bicep', 'WorkspaceResourceId: workspace.id', "WorkspaceResourceId: ''"],
    ],
  },
  {
    name: 'app settings wire the CONTRACT settings and identity-based host storage',
    run: (ctx) => {
      const p: string[] = [];
      const keyList = ctx.appSettingKeys();
      const required = [
        'TABLES_ENDPOINT',
        'KEY_VAULT_URL',
        'AUTH_AUTHORITY',
        'AUTH_AUDIENCE',
        'AUTH_ALLOWED_TENANTS',
        'PUBLIC_BASE_URL',
        'AzureWebJobsStorage__accountName',
        'AzureWebJobsStorage__credential',
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        'QUEUES_ENDPOINT',
        'QUEUES__queueServiceUri',
        'QUEUES__credential',
        // The sweep's timer schedule and its local interval come from this one setting.
        'SWEEP_INTERVAL_SECONDS',
        'AzureWebJobsDisableHomepage',
      ];
      for (const k of required) expect1(p, keyList.includes(k), `app setting ${k} is missing`);
      const settings = ctx.bicep('infra/modules/app-settings.bicep').vars.get('settings');
      expect1(
        p,
        raw(settings, 'AzureWebJobsStorage__credential') === "'managedidentity'",
        'host storage is not identity-based',
      );
      expect1(
        p,
        /vault\.properties\.vaultUri/.test(raw(settings, 'KEY_VAULT_URL')),
        'KEY_VAULT_URL is not the vault URI',
      );
      expect1(
        p,
        /\.table\./.test(raw(settings, 'TABLES_ENDPOINT')),
        'TABLES_ENDPOINT is not a table endpoint',
      );
      // Webhook deliveries: the app's queue client and the queue trigger's identity-based connection (QUEUES)
      // name the same queue service of the same account.
      const vars = ctx.bicep('infra/modules/app-settings.bicep').vars;
      const queueValue = (key: string) => {
        const value = raw(settings, key);
        const named = vars.get(value);
        return named?.kind === 'raw' ? named.text : value;
      };
      expect1(
        p,
        /^'https:\/\/\$\{storage\.name\}\.queue\./.test(queueValue('QUEUES_ENDPOINT')),
        `QUEUES_ENDPOINT is not the account's queue endpoint: ${queueValue('QUEUES_ENDPOINT')}`,
      );
      expect1(
        p,
        raw(settings, 'QUEUES__queueServiceUri') === raw(settings, 'QUEUES_ENDPOINT'),
        'the queue trigger connection (QUEUES__queueServiceUri) is not QUEUES_ENDPOINT',
      );
      expect1(
        p,
        raw(settings, 'QUEUES__credential') === "'managedidentity'",
        'the queue trigger connection is not identity-based',
      );
      const queues = ctx
        .resourcesOfType('Microsoft.Storage/storageAccounts/queueServices/queues')
        .map((q) => raw(q.body, 'name'));
      expect1(
        p,
        queues.includes("'webhook-deliveries'"),
        `no webhook-deliveries queue: ${queues.join(', ')}`,
      );
      return p;
    },
    breaks: [
      ['infra/modules/app-settings.bicep', 'KEY_VAULT_URL:', 'KEYVAULT_URL:'],
      [
        'infra/modules/app-settings.bicep',
        "AzureWebJobsStorage__credential: 'managedidentity'",
        "AzureWebJobsStorage__credential: 'connectionstring'",
      ],
      ['infra/modules/app-settings.bicep', /\n\s+AUTH_ALLOWED_TENANTS: authAllowedTenants/, ''],
      ['infra/modules/app-settings.bicep', '.queue.${environment()', '.table.${environment()'],
      [
        'infra/modules/app-settings.bicep',
        'QUEUES__queueServiceUri: queueEndpoint',
        "QUEUES__queueServiceUri: ''",
      ],
      ['infra/modules/app-settings.bicep', "QUEUES__credential: 'managedidentity'", "QUEUES__credential: ''"],
      ['infra/modules/storage.bicep', "name: 'webhook-deliveries'\n", "name: 'deliveries'\n"],
      ['infra/modules/app-settings.bicep', /\n\s+AzureWebJobsDisableHomepage: 'true'/, ''],
    ],
  },
  {
    name: 'no secret reaches an app setting or a template expression',
    run: (ctx) => {
      const p: string[] = [];
      for (const k of ctx.appSettingKeys()) {
        if (k === 'APPLICATIONINSIGHTS_CONNECTION_STRING') continue;
        expect1(
          p,
          !/SECRET|PASSWORD|CONNECTION_?STRING|ACCOUNT_?KEY|INSTRUMENTATIONKEY|_KEY$|^AzureWebJobsStorage$/i.test(
            k,
          ),
          `app setting ${k} looks like a secret`,
        );
      }
      for (const [path, text] of ctx.files) {
        if (!path.startsWith('infra/')) continue;
        const code = path.endsWith('.bicep') ? stripComments(text) : text;
        for (const bad of [
          /listKeys\s*\(/i,
          /listSecrets\s*\(/i,
          /AccountKey=/i,
          /SharedAccessSignature/i,
          /@secure\(\)/,
        ]) {
          expect1(p, !bad.test(code), `${path} uses ${bad.source}`);
        }
      }
      return p;
    },
    breaks: [
      [
        'infra/modules/app-settings.bicep',
        'var settings = {\n',
        "var settings = {\n  TABLES_CONNECTION_STRING: 'x'\n",
      ],
      [
        'infra/modules/app-settings.bicep',
        'var settings = {\n',
        "var settings = {\n  CONNECTOR_META_CLIENT_SECRET: 'x'\n",
      ],
      [
        'infra/modules/storage.bicep',
        'output name string = storage.name',
        'output name string = storage.listKeys().keys[0].value',
      ],
    ],
  },
  {
    name: 'no setting that Flex Consumption rejects',
    run: (ctx) => {
      const p: string[] = [];
      for (const [path, text] of ctx.files) {
        if (!path.endsWith('.bicep')) continue;
        const code = stripComments(text);
        for (const name of FLEX_INCOMPATIBLE) expect1(p, !code.includes(name), `${path} sets ${name}`);
      }
      return p;
    },
    breaks: [
      [
        'infra/modules/app-settings.bicep',
        'var settings = {\n',
        "var settings = {\n  FUNCTIONS_WORKER_RUNTIME: 'node'\n",
      ],
    ],
  },
  {
    name: 'settings are applied after the role assignments, and the redirect URI is an output',
    run: (ctx) => {
      const p: string[] = [];
      const main = ctx.bicep('infra/main.bicep');
      const settings = main.modules.find((m) => m.path.endsWith('app-settings.bicep'));
      const rbac = main.modules.find((m) => m.path.endsWith('role-assignments.bicep'));
      const deps = get(settings?.body, 'dependsOn');
      expect1(
        p,
        deps?.kind === 'array' && deps.items.some((d) => d.kind === 'raw' && d.text === rbac?.symbol),
        'app settings do not wait for the role assignments',
      );
      expect1(
        p,
        (main.outputs.get('OAUTH_REDIRECT_URI') ?? '').includes('/api/v1/connectors/oauth/callback'),
        'no OAUTH_REDIRECT_URI output',
      );
      return p;
    },
    breaks: [
      ['infra/main.bicep', /\n\s+dependsOn: \[\n\s+roleAssignments\n\s+\]/, ''],
      ['infra/main.bicep', "/api/v1/connectors/oauth/callback'", "/oauth/callback'"],
    ],
  },
  {
    name: 'docs/DEPLOY.md covers the app registration, azd up and the platform redirect URI',
    run: (ctx) => {
      const p: string[] = [];
      const doc = ctx.files.get('docs/DEPLOY.md') ?? '';
      for (const term of [
        'Connectors.Read',
        'Connectors.ReadWrite',
        'Connectors.Read.All',
        'Connectors.ReadWrite.All',
      ]) {
        const re = new RegExp(`${term.replace(/\./g, '\\.')}(?![\\w.])`);
        expect1(p, re.test(doc), `DEPLOY.md does not mention ${term}`);
      }
      expect1(p, /\bazd up\b/.test(doc), 'DEPLOY.md does not mention azd up');
      expect1(
        p,
        doc.includes('${PUBLIC_BASE_URL}/api/v1/connectors/oauth/callback'),
        'no redirect URI pattern',
      );
      for (const platform of ['Meta', 'Google', 'LinkedIn', 'TikTok', 'X']) {
        expect1(p, new RegExp(`\\b${platform}\\b`).test(doc), `DEPLOY.md has no set-up for ${platform}`);
      }
      return p;
    },
    breaks: [
      ['docs/DEPLOY.md', /Connectors\.ReadWrite\.All/g, 'Connectors.Write.All'],
      ['docs/DEPLOY.md', /\$\{PUBLIC_BASE_URL\}\/api\/v1\/connectors\/oauth\/callback/g, '/callback'],
    ],
  },
];

function mutate(files: Files, [path, find, replacement]: [string, string | RegExp, string]): Files {
  const text = files.get(path);
  if (text === undefined) throw new Error(`no file ${path} to break`);
  const found =
    typeof find === 'string'
      ? text.includes(find)
      : new RegExp(find.source, find.flags.replace('g', '')).test(text);
  if (!found)
    throw new Error(`${path} does not contain ${String(find)}: the breaking edit would prove nothing`);
  const copy = new Map(files);
  copy.set(
    path,
    typeof find === 'string' ? text.split(find).join(replacement) : text.replace(find, replacement),
  );
  return copy;
}

describe('infra/ and azure.yaml', () => {
  const files = loadFiles();

  it('has the expected files', () => {
    for (const f of [
      'azure.yaml',
      'infra/main.bicep',
      'infra/main.parameters.json',
      'infra/modules/function-app.bicep',
      'infra/modules/storage.bicep',
      'infra/modules/keyvault.bicep',
      'infra/modules/monitoring.bicep',
      'infra/modules/role-assignments.bicep',
      'infra/modules/app-settings.bicep',
      'docs/DEPLOY.md',
    ]) {
      expect(files.has(f)).toBe(true);
    }
  });

  it.each(checks.map((c) => [c.name, c] as const))('%s', (_name, check) => {
    expect(check.run(context(files))).toEqual([]);
  });

  it.each(checks.flatMap((c) => c.breaks.map((b, i) => [`${c.name} #${i + 1}`, c, b] as const)))(
    'fails when broken: %s',
    (_name, check, edit) => {
      expect(check.run(context(mutate(files, edit)))).not.toEqual([]);
    },
  );

  it('reads nested Bicep objects, strings with interpolation and calls', () => {
    const parsed = parseBicep(
      [
        "resource x 'A/b@2024-01-01' = {",
        "  name: 'n-${take(y, 3)}'",
        '  tags: union(t, { a: 1 })',
        '  properties: {',
        "    list: [ 'a', 'b' ]",
        "    // hidden: 'no'",
        "    inner: { deep: 'v' }",
        "    url: 'https://${host}/x' // a comment",
        "    name: take('${replace(prefix, '-', '')}st${token}', 24)",
        '  }',
        '}',
      ].join('\n'),
    );
    const body = parsed.resources[0].body;
    expect(raw(body, 'name')).toBe("'n-${take(y, 3)}'");
    expect(raw(body, 'tags')).toBe('union(t, { a: 1 })');
    expect(raw(body, 'properties.inner.deep')).toBe("'v'");
    expect(raw(body, 'properties.url')).toBe("'https://${host}/x'");
    expect(raw(body, 'properties.name')).toBe("take('${replace(prefix, '-', '')}st${token}', 24)");
    expect(get(body, 'properties.hidden')).toBeUndefined();
    expect(get(body, 'properties.list')).toEqual({
      kind: 'array',
      items: [
        { kind: 'raw', text: "'a'" },
        { kind: 'raw', text: "'b'" },
      ],
    });
  });
});
