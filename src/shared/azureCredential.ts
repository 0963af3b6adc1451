// The Azure credential (managed identity in Azure, developer sign-in locally), loaded on first use.
let credential: Promise<import('@azure/identity').TokenCredential> | undefined;

/** One DefaultAzureCredential per process, shared by tables, queues and Key Vault. */
export function defaultCredential(): Promise<import('@azure/identity').TokenCredential> {
  credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
  return credential;
}
