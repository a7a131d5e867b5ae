using Fabric.Registry.Sqlite;

namespace Fabric.Registry.Tests.Sqlite;

/// <summary>The store contract against SQLite, one fresh database file per test.</summary>
public sealed class SqliteRegistryStoreTests : RegistryStoreContract, IDisposable
{
    private readonly TempDir _dir = new();

    protected override IRegistryStore OpenStore() => SqliteRegistryStore.Open(_dir.Database);

    public void Dispose() => _dir.Dispose();
}
