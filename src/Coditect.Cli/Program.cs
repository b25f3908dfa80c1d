using Coditect.Cli;

return await CliApp.RunAsync(args, new Terminal(Console.Out, Console.Error, Console.In, Environment.GetEnvironmentVariable));
