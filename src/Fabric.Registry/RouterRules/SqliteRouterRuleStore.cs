using System.Collections.Immutable;
using Dapper;
using Fabric.Registry.Sqlite;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.RouterRules;

/// <summary>Router rules in table <c>router_rules</c> of the registry database (migration 0011, applied by the registry
/// when it opens the database). Any protocol is stored as <c>''</c> and any port as 0, so the table's UNIQUE constraint
/// holds for them too.</summary>
internal sealed class SqliteRouterRuleStore : IRouterRuleStore
{
    private const string Columns = "id AS Id, from_network AS FromNetwork, to_network AS ToNetwork, protocol AS Protocol, port AS Port, created_at AS CreatedAt";

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private ImmutableSortedDictionary<long, RouterRule> _rules;

    private SqliteRouterRuleStore(SqliteConnection connection, ImmutableSortedDictionary<long, RouterRule> rules)
    {
        _connection = connection;
        _rules = rules;
    }

    public static SqliteRouterRuleStore Open(string databasePath)
    {
        var connection = SideTableConnection.Open(databasePath, "router_rules", "router rule store");
        try
        {
            var rules = connection.Query<Row>($"SELECT {Columns} FROM router_rules").Select(r => r.ToRule()).ToImmutableSortedDictionary(r => r.Id, r => r);
            return new SqliteRouterRuleStore(connection, rules);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public IReadOnlyList<RouterRule> List() => [.. _rules.Values];

    public Task<(RouterRule Rule, bool Added)> AddAsync(string from, string to, string? protocol, int? port, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        lock (_gate)
        {
            if (_rules.Values.FirstOrDefault(r => r.SameTraffic(from, to, protocol, port)) is { } existing)
            {
                return Task.FromResult((existing, false));
            }

            var row = _connection.QuerySingle<Row>(
                $"INSERT INTO router_rules (from_network, to_network, protocol, port, created_at) VALUES (@from, @to, @protocol, @port, @at) RETURNING {Columns}",
                new { from, to, protocol = protocol ?? "", port = port ?? 0, at = at.ToUnixTimeMilliseconds() });
            var rule = row.ToRule();
            _rules = _rules.SetItem(rule.Id, rule);
            return Task.FromResult((rule, true));
        }
    }

    public Task<RouterRule?> RemoveAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_rules.TryGetValue(id, out var rule))
            {
                return Task.FromResult<RouterRule?>(null);
            }

            _connection.Execute("DELETE FROM router_rules WHERE id = @id", new { id });
            _rules = _rules.Remove(id);
            return Task.FromResult<RouterRule?>(rule);
        }
    }

    public void Dispose() => _connection.Dispose();

    private sealed record Row(long Id, string FromNetwork, string ToNetwork, string Protocol, long Port, long CreatedAt)
    {
        public RouterRule ToRule() => new(
            Id, FromNetwork, ToNetwork, Protocol.Length == 0 ? null : Protocol, Port == 0 ? null : (int)Port, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
