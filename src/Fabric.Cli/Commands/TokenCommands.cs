using System.CommandLine;
using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric token create|list|revoke</c>: named API tokens (the admin token is needed to manage them).</summary>
internal static class TokenCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var token = new Command("token", "Manage named API tokens (needs the admin token)");
        token.Add(CreateToken(environment));
        token.Add(List(environment));
        token.Add(Revoke(environment));
        return token;
    }

    private static Command CreateToken(CliEnvironment environment)
    {
        var name = new Argument<string>("name") { Description = "Token name, e.g. ci-deploy; its writes are logged as token:NAME" };
        var output = CliApp.OutputOption();
        var command = new Command("create", "Make a token; its secret is printed this once") { name, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var created = await api.PostAsync<CreatedTokenDto>("/api/v1/tokens", new CreateTokenRequest { Name = parse.GetValue(name) }, cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, created);
                return;
            }

            environment.Output.WriteLine(created.Token);
            await environment.Error.WriteLineAsync($"created token {created.Name}; the line above is its secret, shown only now");
        }));
        return command;
    }

    private static Command List(CliEnvironment environment)
    {
        var output = CliApp.OutputOption();
        var command = new Command("list", "List tokens (names and times, never secrets)") { output };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var tokens = await api.GetAsync<List<TokenDto>>("/api/v1/tokens", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, tokens);
                return;
            }

            Table.Write(environment.Output, ["NAME", "CREATED", "LAST USED"],
                tokens.Select(t => (IReadOnlyList<string?>)[t.Name, Time(t.CreatedAt), t.LastUsedAt is { } used ? Time(used) : "never"]));
        }));
        return command;
    }

    private static Command Revoke(CliEnvironment environment)
    {
        var name = new Argument<string>("name");
        var command = new Command("revoke", "Revoke a token: its secret stops working at once") { name };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var value = parse.GetValue(name)!;
            await api.DeleteAsync($"/api/v1/tokens/{Uri.EscapeDataString(value)}", cancellationToken);
            environment.Output.WriteLine($"revoked token {value}");
        }));
        return command;
    }

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture);
}
