using System.Security.Cryptography;
using System.Text;
using Dapper;
using Fabric.Registry.Tokens;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Registry.Tests.Tokens;

public sealed class ApiTokenStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _dir.Dispose();

    private IApiTokenStore Open()
    {
        using (FabricRegistry.Open(_dir.Database, _time))
        {
        }

        return ApiTokenStores.Open(_dir.Database, _time);
    }

    [Fact]
    public async Task CreateAsync_NewName_ReturnsTheSecretOnceAndKeepsOnlyItsHash()
    {
        using var store = Open();

        var result = await store.CreateAsync("ci-deploy");

        Assert.True(result.Succeeded);
        var (token, secret) = (result.Value.Token, result.Value.Secret);
        Assert.Equal(new ApiToken("ci-deploy", Start, null), token);
        Assert.True(secret.Length >= 40);
        using var connection = new SqliteConnection($"Data Source={_dir.Database};Pooling=False");
        var stored = connection.QuerySingle<byte[]>("SELECT sha256 FROM api_tokens WHERE name = 'ci-deploy'");
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), stored);
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM api_tokens WHERE CAST(sha256 AS TEXT) LIKE '%' || @s || '%'", new { s = secret }));
        Assert.Equal(["ci-deploy"], store.List().Select(t => t.Name));
    }

    [Theory]
    [InlineData("CI-Deploy")]
    [InlineData("ci-deploy")]
    public async Task CreateAsync_NameTakenInAnyCase_Conflict(string again)
    {
        using var store = Open();
        await store.CreateAsync("ci-deploy");

        var result = await store.CreateAsync(again);

        Assert.Equal(RegistryErrorKind.Conflict, result.Error!.Kind);
        Assert.Equal("name", Assert.Single(result.Error.Errors).Field);
        Assert.Single(store.List());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("-leading")]
    [InlineData("bell\u0007")]
    [InlineData("slash/y")]
    public async Task CreateAsync_MalformedName_ValidationNamingName(string? name)
    {
        using var store = Open();

        var result = await store.CreateAsync(name);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        var error = Assert.Single(result.Error.Errors);
        Assert.Equal("name", error.Field);
        Assert.DoesNotContain('\u0007', error.Reason);
        Assert.Empty(store.List());
    }

    [Fact]
    public async Task CreateAsync_NameTooLong_Validation()
    {
        using var store = Open();

        var result = await store.CreateAsync(new string('a', 64));

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        Assert.True((await store.CreateAsync(new string('a', 63))).Succeeded);
    }

    [Fact]
    public async Task Authenticate_AfterReopen_FindsTheTokenAndRecordsItsUse()
    {
        string secret;
        using (var store = Open())
        {
            secret = (await store.CreateAsync("backup")).Value!.Secret;
        }

        _time.Advance(TimeSpan.FromHours(1));
        using (var store = Open())
        {
            Assert.Equal("backup", store.Authenticate(secret)!.Name);
            Assert.Null(store.Authenticate(secret + "x"));
            Assert.Null(store.Authenticate(null));
        }

        using var reopened = Open();
        var listed = Assert.Single(reopened.List());
        Assert.Equal(Start, listed.CreatedAt);
        Assert.Equal(Start.AddHours(1), listed.LastUsedAt);
    }

    [Fact]
    public async Task Authenticate_UsedAgainWithinAMinute_LastUseNotRewritten()
    {
        using var store = Open();
        var secret = (await store.CreateAsync("backup")).Value!.Secret;
        store.Authenticate(secret);

        _time.Advance(TimeSpan.FromSeconds(30));
        store.Authenticate(secret);
        Assert.Equal(Start, store.List()[0].LastUsedAt);

        _time.Advance(TimeSpan.FromSeconds(31));
        store.Authenticate(secret);
        Assert.Equal(Start.AddSeconds(61), store.List()[0].LastUsedAt);
    }

    [Fact]
    public async Task RevokeAsync_Token_SecretStopsWorkingAlsoAfterReopen()
    {
        string secret;
        using (var store = Open())
        {
            secret = (await store.CreateAsync("backup")).Value!.Secret;
            var revoked = await store.RevokeAsync("BACKUP");
            Assert.Equal("backup", revoked.Value!.Name);
            Assert.Null(store.Authenticate(secret));
            Assert.Empty(store.List());
        }

        using var reopened = Open();
        Assert.Null(reopened.Authenticate(secret));
        Assert.Empty(reopened.List());
    }

    [Fact]
    public async Task RevokeAsync_UnknownName_NotFound()
    {
        using var store = Open();

        var result = await store.RevokeAsync("nobody");

        Assert.Equal(RegistryErrorKind.NotFound, result.Error!.Kind);
        Assert.Equal("name", Assert.Single(result.Error.Errors).Field);
    }

    [Fact]
    public void Open_DatabaseTheRegistryHasNotMigrated_ClearError()
    {
        using (var connection = new SqliteConnection($"Data Source={_dir.Database};Pooling=False"))
        {
            connection.Open();
        }

        var e = Assert.Throws<InvalidOperationException>(() => ApiTokenStores.Open(_dir.Database, _time));
        Assert.Contains("open the registry", e.Message, StringComparison.Ordinal);
    }
}
