module example.com/plug

go 1.19

require example.com/shared v1.1.0

replace example.com/shared => ../shared-v1.1.0
